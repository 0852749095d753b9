/** The program that the agent integration tests run in forked JVMs. */
package dev.arbor.agentit;
