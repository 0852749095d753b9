/**
 * Arbor's instrumentation: the Java agent ({@code -javaagent:arbor-agent.jar}), self-attach ({@link
 * dev.arbor.agent.ArborAgent#install()}), and the build-time ByteBuddy plugin ({@link
 * dev.arbor.agent.ModulePlugin}). See {@code docs/agent.md}.
 */
module dev.arbor.agent {
  requires transitive dev.arbor;
  requires transitive java.instrument;
  requires transitive net.bytebuddy;
  requires net.bytebuddy.agent;

  exports dev.arbor.agent;

  provides dev.arbor.instrument.SelfAttacher with
      dev.arbor.agent.AgentSelfAttacher;
}
