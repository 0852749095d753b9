/**
 * Arbor's instrumentation entry points: {@link dev.arbor.agent.ArborAgent} (premain, agentmain,
 * self-attach) and {@link dev.arbor.agent.ModulePlugin} (build time). See {@code docs/agent.md}.
 */
package dev.arbor.agent;
