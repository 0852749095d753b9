package dev.arbor.core;

/**
 * A variable of a staged {@link Graph}: identity-compared, with an abstract value. Names are given
 * when the graph prints.
 */
public final class Var {
  private final AbstractValue aval;

  public Var(AbstractValue aval) {
    this.aval = aval;
  }

  public AbstractValue aval() {
    return aval;
  }

  @Override
  public String toString() {
    return "Var(" + aval + ")@" + Integer.toHexString(System.identityHashCode(this));
  }
}
