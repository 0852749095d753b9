package dev.arbor.agent;

import dev.arbor.instrument.SelfAttacher;

/** The {@link SelfAttacher} that core finds with ServiceLoader: {@link ArborAgent#install()}. */
public final class AgentSelfAttacher implements SelfAttacher {
  /** For ServiceLoader. */
  public AgentSelfAttacher() {}

  @Override
  public void install() {
    ArborAgent.install();
  }
}
