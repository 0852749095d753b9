/** Splittable PRNG keys. */
package dev.arbor.random;
