/**
 * Arbor's internals, shared between core packages. Not exported: nothing here is API and anything
 * may change.
 */
package dev.arbor.internal;
