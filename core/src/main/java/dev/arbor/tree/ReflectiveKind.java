package dev.arbor.tree;

import dev.arbor.module.Module;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.AccessibleObject;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InaccessibleObjectException;
import java.lang.reflect.Member;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Objects;

/**
 * Records, {@code @PytreeNode} classes and {@code Module} classes: children are components or
 * fields, read and written through method handles built once per class (cached in {@link #FOR}).
 */
final class ReflectiveKind extends NodeKind {

  /**
   * One kind per class, built on first use; independent of the registry, so kinds stay canonical.
   */
  static final ClassValue<ReflectiveKind> FOR =
      new ClassValue<>() {
        @Override
        protected ReflectiveKind computeValue(Class<?> type) {
          return new ReflectiveKind(type);
        }
      };

  private static final MethodType GETTER = MethodType.methodType(Object.class, Object.class);
  private static final MethodType SETTER =
      MethodType.methodType(void.class, Object.class, Object.class);

  /** Marks a child slot in the aux values. */
  static final Object CHILD =
      new Object() {
        @Override
        public String toString() {
          return "<child>";
        }
      };

  enum Mode {
    CHILD,
    AUX,
    /** Declared {@code Object}: decided by the run-time value. */
    DYNAMIC
  }

  final Class<?> type;
  private final String label;
  private final String[] names;

  /** Per component/field: child, aux, or decided by the value (declared {@code Object}). */
  final Mode[] modes;

  /** The component/field readers, (Object)Object, in child order. */
  final MethodHandle[] getters;

  /** Whether every component/field is a child (no aux data): the defs have {@code null} aux. */
  final boolean allChildren;

  final boolean isRecord;

  /** Records: the canonical constructor, spread: (Object[])Object. */
  private final MethodHandle canonical;

  /** Records: the canonical constructor, not spread: (Object, ...)Object; else {@code null}. */
  final MethodHandle constructor;

  /** Classes: the no-arg constructor ()Object and the field setters; null if there is none. */
  private final MethodHandle noArg;

  private final MethodHandle[] setters;
  private final String noArgProblem;

  /**
   * Nodes flattened or rebuilt before {@link #access} is generated: classes used only a few times
   * (most classes in tests and at start-up) never pay for a hidden class.
   */
  private static final int GENERATE_AFTER = 64;

  /**
   * Records: the generated component reader and constructor once the kind is warm, else {@code
   * null} (method handles are used). Racy: {@link RecordAccess} has only final fields.
   */
  private RecordAccess access;

  private int uses;
  private boolean generated;

  private ReflectiveKind(Class<?> type) {
    super(TAG_REFLECTIVE);
    this.type = type;
    this.isRecord = type.isRecord();
    this.label = isRecord ? "Record" : Module.class.isAssignableFrom(type) ? "Module" : "Node";
    List<String> names = new ArrayList<>();
    List<Mode> modes = new ArrayList<>();
    List<MethodHandle> getters = new ArrayList<>();
    List<MethodHandle> setters = new ArrayList<>();
    if (isRecord) {
      RecordComponent[] components = type.getRecordComponents();
      Class<?>[] types = new Class<?>[components.length];
      for (int i = 0; i < components.length; i++) {
        RecordComponent c = components[i];
        types[i] = c.getType();
        names.add(c.getName());
        modes.add(mode(c.getType(), c.isAnnotationPresent(Static.class), false));
        getters.add(unreflect(c.getAccessor(), type).asType(GETTER));
      }
      MethodHandle ctor;
      try {
        Constructor<?> k = type.getDeclaredConstructor(types);
        ctor = unreflect(k, type);
      } catch (NoSuchMethodException e) {
        throw new AssertionError("a record always has a canonical constructor: " + type, e);
      }
      this.constructor = ctor.asType(ctor.type().generic());
      this.canonical = constructor.asSpreader(Object[].class, components.length);
      this.noArg = null;
      this.noArgProblem = null;
    } else {
      Deque<Class<?>> chain = new ArrayDeque<>();
      for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
        chain.push(c);
      }
      for (Class<?> c : chain) {
        for (Field f : c.getDeclaredFields()) {
          int m = f.getModifiers();
          if (Modifier.isStatic(m) || Modifier.isTransient(m)) {
            continue;
          }
          names.add(f.getName());
          modes.add(mode(f.getType(), f.isAnnotationPresent(Static.class), f.isSynthetic()));
          makeAccessible(f, type);
          try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            getters.add(lookup.unreflectGetter(f).asType(GETTER));
            setters.add(lookup.unreflectSetter(f).asType(SETTER));
          } catch (IllegalAccessException e) {
            throw inaccessible(type, f, e);
          }
        }
      }
      MethodHandle ctor = null;
      String problem = null;
      if (Modifier.isAbstract(type.getModifiers())) {
        problem = type.getName() + " is abstract";
      } else {
        try {
          Constructor<?> k = type.getDeclaredConstructor();
          ctor = unreflect(k, type).asType(MethodType.methodType(Object.class));
        } catch (NoSuchMethodException e) {
          problem =
              type.getName()
                  + " has no no-arg constructor"
                  + (type.isMemberClass() && !Modifier.isStatic(type.getModifiers())
                      ? " (it is an inner class: make it static)"
                      : type.isAnonymousClass() ? " (it is an anonymous class)" : "");
        }
      }
      this.canonical = null;
      this.constructor = null;
      this.noArg = ctor;
      this.noArgProblem = problem;
    }
    this.names = names.toArray(new String[0]);
    this.modes = modes.toArray(new Mode[0]);
    this.getters = getters.toArray(new MethodHandle[0]);
    this.setters = setters.toArray(new MethodHandle[0]);
    this.allChildren = modes.stream().allMatch(m -> m == Mode.CHILD);
  }

  /** Why this class cannot be rebuilt, or {@code null} if it can. */
  String rebuildProblem() {
    return noArgProblem;
  }

  private static Mode mode(Class<?> declared, boolean isStatic, boolean synthetic) {
    if (isStatic || synthetic || isAuxType(declared)) {
      return Mode.AUX;
    }
    return declared == Object.class ? Mode.DYNAMIC : Mode.CHILD;
  }

  /** The declared types whose values are aux data rather than children. */
  static boolean isAuxType(Class<?> t) {
    return t.isPrimitive()
        || t == String.class
        || t.isEnum()
        || t == Enum.class
        || t == Class.class
        || (t.isInterface()
            && t.isAnnotationPresent(FunctionalInterface.class)
            && !Module.class.isAssignableFrom(t));
  }

  /**
   * For fields declared {@code Object}: is this run-time value aux data? The declared-type rule
   * applied to the value's class: a {@code String}, an enum constant, a {@code Class}, or a lambda
   * (a hidden class) that is not a {@code Module}. Boxed numbers are leaves, as in JAX.
   */
  static boolean isAuxValue(Object v) {
    return v instanceof String
        || v instanceof Enum<?>
        || v instanceof Class<?>
        || (v != null && v.getClass().isHidden() && !(v instanceof Module<?, ?>));
  }

  /** The generated access, generating it once this kind is warm; {@code null} before that. */
  private RecordAccess access() {
    RecordAccess a = access;
    if (a == null && isRecord && !generated && ++uses >= GENERATE_AFTER) {
      // Racy by design: two threads may both generate, and either result is correct.
      generated = true;
      a = RecordAccess.generate(type);
      access = a;
    }
    return a;
  }

  /**
   * Opens a frame of {@code f} (its scratch array, possibly longer than the component count)
   * holding {@code node}'s component values, read through the generated accessor when there is one.
   */
  private Object[] enterAndRead(Object node, Flattener f) {
    MethodHandle[] g = getters;
    Object[] values = f.enter(g.length);
    RecordAccess a = access();
    if (a != null) {
      a.reader().accept(node, values);
    } else {
      for (int i = 0; i < g.length; i++) {
        values[i] = read(g[i], node);
      }
    }
    return values;
  }

  @Override
  TreeDefNode flatten(Object node, Flattener f) {
    int n = getters.length;
    Object[] values = enterAndRead(node, f);
    TreeDefNode def;
    if (allChildren) {
      TreeDefNode last = lastDef;
      TreeDefNode[] template = TreeDefNode.template(last, null, n);
      TreeDefNode[] defs = null;
      for (int i = 0; i < n; i++) {
        Object v = values[i];
        defs =
            TreeDefNode.collect(
                defs,
                template,
                i,
                n,
                v != null && v.getClass() == f.leafClass ? f.leaf(v) : f.visit(v));
      }
      def = TreeDefNode.finish(this, null, last, template, defs, n);
      if (def != last) {
        lastDef = def;
      }
    } else {
      Object[] aux = new Object[n];
      TreeDefNode[] defs = new TreeDefNode[n];
      int children = 0;
      for (int i = 0; i < n; i++) {
        Object v = values[i];
        Mode m = modes[i];
        if (m == Mode.CHILD || (m == Mode.DYNAMIC && !isAuxValue(v))) {
          aux[i] = CHILD;
          defs[children++] = v != null && v.getClass() == f.leafClass ? f.leaf(v) : f.visit(v);
        } else {
          aux[i] = v;
        }
      }
      def =
          TreeDefNode.of(
              this, new StaticValues(aux), children == n ? defs : Arrays.copyOf(defs, children));
    }
    f.exit();
    return def;
  }

  /**
   * Flattens {@code node} of this class guided by {@code d}, a def of this kind (see Flattener).
   */
  TreeDefNode guide(Object node, TreeDefNode d, Flattener f) {
    if (!allChildren) {
      return guideWithAux(node, d, f);
    }
    int n = getters.length;
    Object[] values = enterAndRead(node, f);
    TreeDefNode[] expected = d.children;
    TreeDefNode[] defs = null;
    for (int i = 0; i < n; i++) {
      Object v = values[i];
      TreeDefNode e = expected[i];
      TreeDefNode c =
          e == TreeDefNode.LEAF && v != null && v.getClass() == f.leafClass
              ? f.leaf(v)
              : f.guide(v, e);
      if (defs != null) {
        defs[i] = c;
      } else if (c != e) {
        defs = TreeDefNode.diverge(expected, i, c);
      }
    }
    f.exit();
    return defs == null ? d : TreeDefNode.of(this, null, defs);
  }

  /**
   * {@link #guide} for a class with aux fields: the aux values must equal {@code d}'s (by {@code
   * equals}, as def equality compares them) and the child slots must be the same, else the generic
   * path runs; the children are then guided. When everything matched, {@code d} itself is returned
   * (so it keeps {@code d}'s aux objects, equal to the node's).
   */
  private TreeDefNode guideWithAux(Object node, TreeDefNode d, Flattener f) {
    int n = getters.length;
    Object[] values = enterAndRead(node, f);
    Object[] aux = ((StaticValues) d.aux).values;
    for (int i = 0; i < n; i++) {
      Object v = values[i];
      Mode m = modes[i];
      boolean child = m == Mode.CHILD || (m == Mode.DYNAMIC && !isAuxValue(v));
      if (child ? aux[i] != CHILD : aux[i] == CHILD || !Objects.equals(v, aux[i])) {
        f.exit();
        return flatten(node, f);
      }
    }
    TreeDefNode[] expected = d.children;
    TreeDefNode[] defs = null;
    int c = 0;
    for (int i = 0; i < n; i++) {
      if (aux[i] != CHILD) {
        continue;
      }
      Object v = values[i];
      TreeDefNode e = expected[c];
      TreeDefNode def =
          e == TreeDefNode.LEAF && v != null && v.getClass() == f.leafClass
              ? f.leaf(v)
              : f.guide(v, e);
      if (defs != null) {
        defs[c] = def;
      } else if (def != e) {
        defs = TreeDefNode.diverge(expected, c, def);
      }
      c++;
    }
    f.exit();
    return defs == null ? d : TreeDefNode.of(this, d.aux, defs);
  }

  private static Object read(MethodHandle getter, Object node) {
    try {
      return (Object) getter.invokeExact(node);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  @Override
  Object unflatten(TreeDefNode def, Unflattener u) {
    TreeDefNode[] defs = def.children;
    int n = names.length;
    // The generated constructor reads values[0..n), so a (longer) scratch array will do; the
    // method handle spreader needs an array of exactly n.
    boolean scratch = access != null;
    Object[] values = scratch ? u.enter(n) : new Object[n];
    if (def.aux == null) {
      for (int i = 0; i < n; i++) {
        TreeDefNode d = defs[i];
        values[i] = d == TreeDefNode.LEAF ? u.leaf() : u.build(d);
      }
    } else {
      Object[] aux = ((StaticValues) def.aux).values;
      int c = 0;
      for (int i = 0; i < n; i++) {
        values[i] = aux[i] == CHILD ? u.build(defs[c++]) : aux[i];
      }
    }
    Object out = construct(values);
    if (scratch) {
      u.exit();
    }
    return out;
  }

  private Object construct(Object[] values) {
    if (!isRecord && noArg == null) {
      throw new IllegalArgumentException(
          "cannot rebuild "
              + noArgProblem
              + ". Unflatten creates such classes through a no-arg constructor (any visibility)"
              + " and then writes their fields: add one, or make the class a record.");
    }
    try {
      if (isRecord) {
        RecordAccess a = access();
        return a != null ? a.constructor().apply(values) : (Object) canonical.invokeExact(values);
      }
      Object obj = (Object) noArg.invokeExact();
      for (int i = 0; i < setters.length; i++) {
        setters[i].invokeExact(obj, values[i]);
      }
      return obj;
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable t) {
      throw rejected(values, t);
    }
  }

  private IllegalArgumentException rejected(Object[] values, Throwable cause) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < names.length; i++) {
      Object v = values[i];
      b.append(i == 0 ? "" : ", ")
          .append(names[i])
          .append('=')
          .append(v == null ? "null" : v.getClass().getSimpleName());
    }
    String what =
        isRecord ? "its canonical constructor" : "its no-arg constructor or a field write";
    return new IllegalArgumentException(what + " rejected the values (" + b + "): " + cause, cause);
  }

  @Override
  Split split(Object node) {
    int n = getters.length;
    Object[] aux = new Object[n];
    Object[] children = new Object[n];
    int c = 0;
    for (int i = 0; i < n; i++) {
      Object v = read(getters[i], node);
      Mode m = modes[i];
      if (m == Mode.CHILD || (m == Mode.DYNAMIC && !isAuxValue(v))) {
        aux[i] = CHILD;
        children[c++] = v;
      } else {
        aux[i] = v;
      }
    }
    return new Split(allChildren ? null : new StaticValues(aux), Arrays.copyOf(children, c));
  }

  @Override
  KeyPath.Entry key(Object aux, int i) {
    if (aux == null) {
      return new KeyPath.Field(names[i]);
    }
    Object[] values = ((StaticValues) aux).values;
    int c = 0;
    for (int k = 0; k < values.length; k++) {
      if (values[k] == CHILD && c++ == i) {
        return new KeyPath.Field(names[k]);
      }
    }
    throw new AssertionError("no child " + i + " in " + type.getName());
  }

  @Override
  Object rebuild(Object aux, Object[] children) {
    Object[] values = new Object[names.length];
    if (aux == null) {
      System.arraycopy(children, 0, values, 0, values.length);
    } else {
      Object[] a = ((StaticValues) aux).values;
      int c = 0;
      for (int i = 0; i < values.length; i++) {
        values[i] = a[i] == CHILD ? children[c++] : a[i];
      }
    }
    return construct(values);
  }

  @Override
  String describe(Object aux, List<String> children) {
    StringBuilder b = new StringBuilder(label).append(' ').append(simpleName(type)).append('{');
    Object[] values = aux == null ? null : ((StaticValues) aux).values;
    int c = 0;
    for (int i = 0; i < names.length; i++) {
      b.append(i == 0 ? "" : ", ").append(names[i]);
      if (values == null || values[i] == CHILD) {
        b.append(": ").append(children.get(c++));
      } else {
        b.append('=').append(values[i]);
      }
    }
    return b.append('}').toString();
  }

  static String simpleName(Class<?> c) {
    String s = c.getSimpleName();
    return s.isEmpty() ? c.getName() : s;
  }

  private static MethodHandle unreflect(AccessibleObject member, Class<?> owner) {
    makeAccessible(member, owner);
    try {
      return switch (member) {
        case Constructor<?> k -> MethodHandles.lookup().unreflectConstructor(k);
        case java.lang.reflect.Method m -> MethodHandles.lookup().unreflect(m);
        default -> throw new AssertionError(member);
      };
    } catch (IllegalAccessException e) {
      throw inaccessible(owner, (Member) member, e);
    }
  }

  private static void makeAccessible(AccessibleObject member, Class<?> owner) {
    try {
      member.setAccessible(true);
    } catch (InaccessibleObjectException | SecurityException e) {
      throw inaccessible(owner, (Member) member, e);
    }
  }

  private static IllegalArgumentException inaccessible(
      Class<?> owner, Member member, Exception cause) {
    String pkg = owner.getPackageName();
    return new IllegalArgumentException(
        "cannot flatten "
            + owner.getName()
            + ": Arbor cannot access "
            + member.getName()
            + " reflectively. Its package is in module "
            + owner.getModule().getName()
            + ", which does not open it to Arbor: add 'opens "
            + pkg
            + " to dev.arbor;' to that module-info.java (or register a NodeType for the class).",
        cause);
  }

  /** A reflective node's aux data: static values, with {@link #CHILD} in the child slots. */
  static final class StaticValues {
    final Object[] values;
    private int hash;

    StaticValues(Object[] values) {
      this.values = values;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof StaticValues s && Arrays.equals(values, s.values);
    }

    @Override
    public int hashCode() {
      int h = hash;
      if (h == 0) {
        h = Arrays.hashCode(values);
        hash = h;
      }
      return h;
    }

    @Override
    public String toString() {
      return Arrays.toString(values);
    }
  }
}
