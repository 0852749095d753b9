/**
 * The state-context runtime that instrumented {@code Module.call} methods invoke. Exported because
 * the agent's advice is inlined into user classes; application code does not use it. See {@code
 * docs/agent.md}.
 */
package dev.arbor.instrument;
