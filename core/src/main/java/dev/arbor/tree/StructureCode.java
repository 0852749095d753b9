package dev.arbor.tree;

import static java.lang.constant.ConstantDescs.BSM_CLASS_DATA_AT;
import static java.lang.constant.ConstantDescs.CD_Class;
import static java.lang.constant.ConstantDescs.CD_MethodHandle;
import static java.lang.constant.ConstantDescs.CD_Object;
import static java.lang.constant.ConstantDescs.CD_boolean;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_void;
import static java.lang.constant.ConstantDescs.DEFAULT_NAME;
import static java.lang.constant.ConstantDescs.INIT_NAME;
import static java.lang.constant.ConstantDescs.MTD_void;

import java.lang.classfile.ClassBuilder;
import java.lang.classfile.ClassFile;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.constant.ClassDesc;
import java.lang.constant.DynamicConstantDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.RandomAccess;
import java.util.SequencedMap;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Code generated per whole structure: once a {@link TreeDefNode} has been flattened unchanged (or
 * unflattened) {@link #COMPILE_AFTER} times, a hidden class is spun with the {@code
 * java.lang.classfile} API that flattens trees of exactly that structure (or rebuilds it) in plain
 * bytecode: one static method per distinct node def (so 166 equal blocks share one method, called
 * in a loop), exact class checks, component reads and constructor calls through constant method
 * handles (class data, so the JIT inlines them like direct calls, and the class needs no access to
 * the records' packages), list sizes and map keys checked, leaves stored at their known positions.
 *
 * <p>The generated flatten returns {@code false} at the first difference from the structure (or
 * throws); the caller then runs the generic path, so results are always the generic path's. It is
 * tied to the registry snapshot it was made under (class-to-kind resolution is fixed per snapshot).
 * The generated unflatten depends on the def alone; if it throws, the generic path runs again and
 * reports the failure with its key path.
 *
 * <p>The code is cached on the def itself ({@link TreeDefNode#code}), so it lives exactly as long
 * as the def: no global table, nothing kept after the def is gone (hidden classes are unloaded with
 * their last instance). Only the common kinds are generated (null, leaves, records and
 * {@code @PytreeNode} classes, their aux values compared with {@code equals}, lists, unordered maps
 * and the maps unflatten built); a structure with any other kind keeps the guided path.
 */
final class StructureCode {
  private StructureCode() {}

  /**
   * Uses of one def (flattens that matched it, or unflattens) before its code is generated: a
   * structure used only a few times (tests, start-up) never pays for a hidden class (a few ms each;
   * the first one in a JVM also loads the ClassFile API).
   */
  static final int COMPILE_AFTER = 16;

  /** Distinct node defs (generated methods) per structure, at most. */
  private static final int MAX_METHODS = 1024;

  /** Children of one node written out one by one (not in a loop), at most. */
  private static final int MAX_STRAIGHT = 256;

  /** Record components passed to a generated constructor call, at most. */
  private static final int MAX_ARITY = 200;

  /** Leaf / collection classes checked inline per position before the registry is asked. */
  private static final int PROFILED_CLASSES = 3;

  /** The generated flatten of one structure. */
  interface FlattenCode {
    /**
     * Writes the leaves of {@code root} into {@code out[0..numLeaves)} and returns true if {@code
     * root} has exactly the structure; returns false (or throws) at the first difference.
     */
    boolean flatten(Object root, Object[] out);
  }

  /** The generated unflatten of one structure. */
  interface UnflattenCode {
    /** Rebuilds the structure from {@code leaves} (flatten order). */
    Object unflatten(Object[] leaves);
  }

  /** A generated flatten and the registry snapshot it is valid under. */
  record Flatten(Registry.Snapshot registry, FlattenCode code) {}

  /** What a def keeps about its generated code (racy: every field is a hint or immutable). */
  static final class Cache {
    Flatten flatten;
    UnflattenCode unflatten;
    int flattenUses;
    int unflattenUses;
    boolean noFlatten;
    boolean noUnflatten;
  }

  private static Cache cache(TreeDefNode def) {
    Cache c = def.code;
    if (c == null) {
      c = new Cache();
      def.code = c;
    }
    return c;
  }

  /** The generated flatten of {@code def} valid under {@code registry}, or {@code null}. */
  static FlattenCode flattenCode(TreeDefNode def, Registry.Snapshot registry) {
    Cache c = def.code;
    Flatten f = c == null ? null : c.flatten;
    return f != null && f.registry == registry ? f.code : null;
  }

  /**
   * A flatten of {@code x} under {@code registry} matched {@code def} unchanged (the guided path):
   * counts it, and generates the structure's flatten once it is warm.
   */
  static void flattenMatched(TreeDefNode def, Registry.Snapshot registry, Object x) {
    Cache c = cache(def);
    Flatten f = c.flatten;
    if (c.noFlatten || (f != null && f.registry == registry) || ++c.flattenUses < COMPILE_AFTER) {
      return;
    }
    c.flattenUses = 0;
    FlattenCode code = new Generator().flatten(def, registry, x);
    if (code == null) {
      c.noFlatten = true;
    } else {
      c.flatten = new Flatten(registry, code);
    }
  }

  /**
   * The generated flatten failed on a tree the generic path then found to have exactly this
   * structure (e.g. an ordered map in a map's place): it would fail again, so it is dropped.
   */
  static void flattenRefused(TreeDefNode def) {
    Cache c = cache(def);
    c.noFlatten = true;
    c.flatten = null;
  }

  /** The generated unflatten of {@code def}, generating it once the def is warm; or null. */
  static UnflattenCode unflattenCode(TreeDefNode def) {
    Cache c = cache(def);
    UnflattenCode u = c.unflatten;
    if (u != null || c.noUnflatten || ++c.unflattenUses < COMPILE_AFTER) {
      return u;
    }
    u = new Generator().unflatten(def);
    if (u == null) {
      c.noUnflatten = true;
    } else {
      c.unflatten = u;
    }
    return u;
  }

  // ------------------------------------------------------------- slow checks (generated code)

  /** Whether {@code v} is a leaf under {@code s} (a leaf class not seen when generating). */
  static boolean isLeaf(Registry.Snapshot s, Object v) {
    return v != null && s.kindOf(v.getClass()) == NodeKind.LEAF;
  }

  /** Whether {@code v} is a list the guided path would walk (see ListKind#guide). */
  static boolean isList(Registry.Snapshot s, Object v) {
    return v != null && s.kindOf(v.getClass()) == BuiltinKinds.LIST && v instanceof RandomAccess;
  }

  /** Whether {@code v} is a map the guided path would walk (see MapKind#guide). */
  static boolean isMap(Registry.Snapshot s, Object v) {
    return v != null
        && s.kindOf(v.getClass()) == BuiltinKinds.MAP
        && !(v instanceof SequencedMap<?, ?>);
  }

  // ------------------------------------------------------------- generation

  private static final ClassDesc CD_SELF = ClassDesc.of("dev.arbor.tree.ArborStructure");
  private static final ClassDesc CD_STRUCTURE_CODE = ClassDesc.of("dev.arbor.tree.StructureCode");
  private static final ClassDesc CD_SNAPSHOT = ClassDesc.of("dev.arbor.tree.Registry$Snapshot");
  private static final ClassDesc CD_MAP_KEYS = ClassDesc.of("dev.arbor.tree.BuiltinKinds$MapKeys");
  private static final ClassDesc CD_FROZEN_LIST = ClassDesc.of("dev.arbor.tree.FrozenList");
  private static final ClassDesc CD_FROZEN_MAP = ClassDesc.of("dev.arbor.tree.FrozenMap");
  private static final ClassDesc CD_LIST = ClassDesc.of("java.util.List");
  private static final ClassDesc CD_MAP = ClassDesc.of("java.util.Map");
  private static final ClassDesc CD_OBJECTS = CD_Object.arrayType();
  private static final MethodTypeDesc MTD_FLATTEN_NODE =
      MethodTypeDesc.of(CD_boolean, CD_Object, CD_OBJECTS, CD_int);
  private static final MethodTypeDesc MTD_BUILD_NODE =
      MethodTypeDesc.of(CD_Object, CD_OBJECTS, CD_int);
  private static final MethodTypeDesc MTD_CHECK =
      MethodTypeDesc.of(CD_boolean, CD_SNAPSHOT, CD_Object);
  private static final MethodTypeDesc MTD_GET_CLASS = MethodTypeDesc.of(CD_Class);
  private static final MethodTypeDesc MTD_GETTER = MethodTypeDesc.of(CD_Object, CD_Object);
  private static final ClassDesc CD_REFLECTIVE_KIND = ClassDesc.of("dev.arbor.tree.ReflectiveKind");
  private static final MethodTypeDesc MTD_IS_AUX = MethodTypeDesc.of(CD_boolean, CD_Object);
  private static final ClassDesc CD_OBJECTS_UTIL = ClassDesc.of("java.util.Objects");
  private static final MethodTypeDesc MTD_EQUALS =
      MethodTypeDesc.of(CD_boolean, CD_Object, CD_Object);

  /** Thrown (and caught) when a structure is not generated. */
  private static final class Unsupported extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Unsupported(String why) {
      super(why, null, false, false);
    }
  }

  /** One generation: the class data, the methods to write and the classes seen per def. */
  private static final class Generator {
    private final List<Object> constants = new ArrayList<>();
    private final Map<Object, Integer> constantIndex = new IdentityHashMap<>();
    private final Map<TreeDefNode, Integer> methods = new IdentityHashMap<>();
    private final List<TreeDefNode> order = new ArrayList<>();
    private final Map<TreeDefNode, Set<Class<?>>> classes = new IdentityHashMap<>();
    private final Set<Class<?>> leafClasses = new LinkedHashSet<>();
    private Registry.Snapshot registry;

    FlattenCode flatten(TreeDefNode def, Registry.Snapshot registry, Object tree) {
      this.registry = registry;
      try {
        if (def.isLeaf() || def.kind == BuiltinKinds.NULL) {
          return null; // nothing to gain
        }
        if (!profile(tree, def)) {
          return null; // the tree does not have this structure (a racy change): try later
        }
        number(def, true);
        byte[] bytes =
            build(
                "FlattenCode",
                "flatten",
                MethodTypeDesc.of(CD_boolean, CD_Object, CD_OBJECTS),
                code ->
                    code.aload(1)
                        .aload(2)
                        .iconst_0()
                        .invokestatic(CD_SELF, "f0", MTD_FLATTEN_NODE)
                        .ireturn(),
                "f",
                MTD_FLATTEN_NODE,
                this::flattenNode);
        return (FlattenCode) define(bytes);
      } catch (RuntimeException e) {
        // Unsupported, the ClassFile API refused (e.g. a method over 64 KB), an accessor threw
        // while profiling: not generated; the guided path stays, and reports real errors.
        return null;
      }
    }

    UnflattenCode unflatten(TreeDefNode def) {
      try {
        if (def.isLeaf() || def.kind == BuiltinKinds.NULL) {
          return null;
        }
        number(def, false);
        byte[] bytes =
            build(
                "UnflattenCode",
                "unflatten",
                MethodTypeDesc.of(CD_Object, CD_OBJECTS),
                code ->
                    code.aload(1).iconst_0().invokestatic(CD_SELF, "b0", MTD_BUILD_NODE).areturn(),
                "b",
                MTD_BUILD_NODE,
                this::buildNode);
        return (UnflattenCode) define(bytes);
      } catch (RuntimeException e) {
        // Unsupported, the ClassFile API refused (e.g. a method over 64 KB), an accessor threw
        // while profiling: not generated; the guided path stays, and reports real errors.
        return null;
      }
    }

    /**
     * The class implementing {@code StructureCode.<iface>}: its {@code entry} method calls the
     * method of the root def, and each numbered def gets a private static {@code <prefix><k>}.
     */
    private byte[] build(
        String iface,
        String entry,
        MethodTypeDesc entryType,
        Consumer<CodeBuilder> entryBody,
        String prefix,
        MethodTypeDesc nodeType,
        BiConsumer<CodeBuilder, TreeDefNode> nodeBody) {
      return ClassFile.of()
          .build(
              CD_SELF,
              cb -> {
                header(cb, ClassDesc.of("dev.arbor.tree.StructureCode$" + iface));
                cb.withMethodBody(entry, entryType, ClassFile.ACC_PUBLIC, entryBody);
                for (int k = 0; k < order.size(); k++) {
                  TreeDefNode d = order.get(k);
                  cb.withMethodBody(
                      prefix + k,
                      nodeType,
                      ClassFile.ACC_STATIC | ClassFile.ACC_PRIVATE,
                      code -> nodeBody.accept(code, d));
                }
              });
    }

    private static void header(ClassBuilder cb, ClassDesc iface) {
      cb.withFlags(ClassFile.ACC_FINAL | ClassFile.ACC_SYNTHETIC);
      cb.withSuperclass(CD_Object);
      cb.withInterfaceSymbols(iface);
      cb.withMethodBody(
          INIT_NAME,
          MTD_void,
          ClassFile.ACC_PUBLIC,
          code -> code.aload(0).invokespecial(CD_Object, INIT_NAME, MTD_void).return_());
    }

    private Object define(byte[] bytes) {
      try {
        MethodHandles.Lookup hidden =
            MethodHandles.lookup()
                .defineHiddenClassWithClassData(
                    bytes, Collections.unmodifiableList(new ArrayList<>(constants)), true);
        return hidden
            .findConstructor(hidden.lookupClass(), MethodType.methodType(void.class))
            .invoke();
      } catch (VirtualMachineError e) {
        throw e;
      } catch (Throwable t) {
        // A verifier or linkage surprise: the guided path is correct, only slower.
        throw new Unsupported(String.valueOf(t));
      }
    }

    /**
     * Walks {@code x} along {@code d} (which it matched), recording the concrete classes at each
     * node def and the leaf classes, for the inline class checks.
     */
    private boolean profile(Object x, TreeDefNode d) {
      if (d.isLeaf()) {
        if (x == null || registry.kindOf(x.getClass()) != NodeKind.LEAF) {
          return false;
        }
        if (leafClasses.size() < PROFILED_CLASSES) {
          leafClasses.add(x.getClass());
        }
        return true;
      }
      NodeKind k = d.kind;
      if (k == BuiltinKinds.NULL) {
        return x == null;
      }
      if (x == null || registry.kindOf(x.getClass()) != k) {
        return false;
      }
      Set<Class<?>> seen = classes.computeIfAbsent(d, unused -> new LinkedHashSet<>());
      if (seen.size() < PROFILED_CLASSES) {
        seen.add(x.getClass());
      }
      if (!supportedForFlatten(d)) {
        throw new Unsupported(k.toString());
      }
      Object[] children = k.split(x).children();
      if (children.length != d.children.length) {
        return false;
      }
      for (int i = 0; i < children.length; i++) {
        if (!profile(children[i], d.children[i])) {
          return false;
        }
      }
      return true;
    }

    private static boolean supportedForFlatten(TreeDefNode d) {
      return switch (d.kind) {
        case ReflectiveKind r -> hasAuxOfItsKind(r, d);
        case BuiltinKinds.ListKind l -> true;
        case BuiltinKinds.MapKind m -> true; // unsorted keys: only maps unflatten built
        default -> false;
      };
    }

    private static boolean supportedForUnflatten(TreeDefNode d) {
      return switch (d.kind) {
        case ReflectiveKind r ->
            r.isRecord
                && r.constructor != null
                && r.getters.length <= MAX_ARITY
                && hasAuxOfItsKind(r, d);
        case BuiltinKinds.ListKind l -> true;
        case BuiltinKinds.MapKind m -> true;
        default -> false;
      };
    }

    /** Whether {@code d}'s aux data is what {@code r} makes: none, or static values. */
    private static boolean hasAuxOfItsKind(ReflectiveKind r, TreeDefNode d) {
      return r.allChildren
          ? d.aux == null
          : d.aux instanceof ReflectiveKind.StaticValues s && s.values.length == r.getters.length;
    }

    /** Numbers the node defs under {@code d} (one method each), checking they are supported. */
    private void number(TreeDefNode root, boolean forFlatten) {
      List<TreeDefNode> pending = new ArrayList<>();
      pending.add(root);
      methods.put(root, 0);
      order.add(root);
      while (!pending.isEmpty()) {
        TreeDefNode d = pending.removeLast();
        if (forFlatten ? !supportedForFlatten(d) : !supportedForUnflatten(d)) {
          throw new Unsupported(d.kind.toString());
        }
        if (straightChildren(d) > MAX_STRAIGHT) {
          throw new Unsupported("too many distinct children");
        }
        for (TreeDefNode c : d.children) {
          if (!c.isLeaf() && c.kind != BuiltinKinds.NULL && !methods.containsKey(c)) {
            if (order.size() == MAX_METHODS) {
              throw new Unsupported("too many distinct nodes");
            }
            methods.put(c, order.size());
            order.add(c);
            pending.add(c);
          }
        }
      }
    }

    /** Children of {@code d} not in a run of two or more identical defs (written one by one). */
    private static int straightChildren(TreeDefNode d) {
      int straight = 0;
      TreeDefNode[] cs = d.children;
      for (int i = 0; i < cs.length; ) {
        int j = runEnd(cs, i);
        straight += j - i == 1 ? 1 : 0;
        i = j;
      }
      return straight;
    }

    /** The end of the run of children identical to {@code cs[i]} (by identity). */
    private static int runEnd(TreeDefNode[] cs, int i) {
      int j = i + 1;
      while (j < cs.length && cs[j] == cs[i]) {
        j++;
      }
      return j;
    }

    private void constant(CodeBuilder code, Object value, ClassDesc type) {
      Integer index = constantIndex.get(value);
      if (index == null) {
        index = constants.size();
        constants.add(value);
        constantIndex.put(value, index);
      }
      code.loadConstant(DynamicConstantDesc.ofNamed(BSM_CLASS_DATA_AT, DEFAULT_NAME, type, index));
    }

    // Flatten methods: fK(Object v, Object[] out, int pos) -> boolean. Locals: 3 the child
    // being checked, 4 a loop index, 5 the node as List or Map, 6 a FrozenMap's values.

    private void flattenNode(CodeBuilder code, TreeDefNode d) {
      Label fail = code.newLabel();
      code.aload(0).ifnull(fail);
      TreeDefNode[] cs = d.children;
      int[] offsets = offsets(cs);
      switch (d.kind) {
        case ReflectiveKind r -> {
          code.aload(0).invokevirtual(CD_Object, "getClass", MTD_GET_CLASS);
          constant(code, r.type, CD_Class);
          code.if_acmpne(fail);
          Object[] aux = d.aux == null ? null : ((ReflectiveKind.StaticValues) d.aux).values;
          int child = 0;
          for (int i = 0; i < r.getters.length; i++) {
            constant(code, r.getters[i], CD_MethodHandle);
            code.aload(0).invokevirtual(CD_MethodHandle, "invokeExact", MTD_GETTER).astore(3);
            ReflectiveKind.Mode mode = r.modes[i];
            boolean isChild = aux == null || aux[i] == ReflectiveKind.CHILD;
            if (mode == ReflectiveKind.Mode.DYNAMIC) {
              // Declared Object: the value decides (see ReflectiveKind#isAuxValue).
              code.aload(3).invokestatic(CD_REFLECTIVE_KIND, "isAuxValue", MTD_IS_AUX);
              if (isChild) {
                code.ifne(fail);
              } else {
                code.ifeq(fail);
              }
            } else if (isChild != (mode == ReflectiveKind.Mode.CHILD)) {
              throw new Unsupported("a def this kind does not make");
            }
            if (isChild) {
              int off = offsets[child];
              flattenChild(code, cs[child++], c -> position(c, off), fail);
            } else {
              // Aux data must be equal, as def equality compares it.
              code.aload(3);
              constant(code, aux[i], CD_Object);
              code.invokestatic(CD_OBJECTS_UTIL, "equals", MTD_EQUALS).ifeq(fail);
            }
          }
        }
        case BuiltinKinds.ListKind l -> {
          classCheck(code, d, "isList", fail);
          code.aload(0).checkcast(CD_LIST).astore(5);
          sizeCheck(code, CD_LIST, cs.length, fail);
          for (int i = 0; i < cs.length; ) {
            int end = runEnd(cs, i);
            if (end - i == 1) {
              code.aload(5).loadConstant(i);
              code.invokeinterface(CD_LIST, "get", MethodTypeDesc.of(CD_Object, CD_int));
              code.astore(3);
              int off = offsets[i];
              flattenChild(code, cs[i], c -> position(c, off), fail);
            } else {
              int start = i;
              int stride = cs[i].numLeaves;
              int base = offsets[i] - start * stride;
              Label head = code.newLabel();
              Label done = code.newLabel();
              code.loadConstant(start).istore(4);
              code.labelBinding(head);
              code.iload(4).loadConstant(end).if_icmpge(done);
              code.aload(5).iload(4);
              code.invokeinterface(CD_LIST, "get", MethodTypeDesc.of(CD_Object, CD_int));
              code.astore(3);
              flattenChild(
                  code,
                  cs[i],
                  c -> {
                    c.iload(2).iload(4);
                    if (stride != 1) {
                      c.loadConstant(stride).imul();
                    }
                    c.iadd();
                    if (base != 0) {
                      c.loadConstant(base).iadd();
                    }
                  },
                  fail);
              code.iinc(4, 1).goto_(head);
              code.labelBinding(done);
            }
            i = end;
          }
          // Changed size while flattened: the generic path says so.
          sizeCheck(code, CD_LIST, cs.length, fail);
        }
        case BuiltinKinds.MapKind m -> {
          if (registry.kindOf(FrozenMap.class) == BuiltinKinds.MAP) {
            // A map unflatten built (an ordered map, in its keys' order): the values as they are
            // when the keys are the def's (what the generic path would find by iterating).
            Label notFrozen = code.newLabel();
            code.aload(0);
            constant(code, d.aux, CD_MAP_KEYS);
            code.invokestatic(
                ClassDesc.of("dev.arbor.tree.BuiltinKinds"),
                "frozenValues",
                MethodTypeDesc.of(CD_OBJECTS, CD_Object, CD_MAP_KEYS));
            code.astore(6).aload(6).ifnull(notFrozen);
            for (int i = 0; i < cs.length; i++) {
              code.aload(6).loadConstant(i).aaload().astore(3);
              int off = offsets[i];
              flattenChild(code, cs[i], c -> position(c, off), fail);
            }
            code.iconst_1().ireturn();
            code.labelBinding(notFrozen);
          }
          if (!((BuiltinKinds.MapKeys) d.aux).strictlySorted()) {
            // Keys in no sort order come from ordered maps, which only the generic path walks.
            code.goto_(fail);
            code.labelBinding(fail);
            code.iconst_0().ireturn();
            return;
          }
          classCheck(code, d, "isMap", fail);
          code.aload(0).checkcast(CD_MAP).astore(5);
          sizeCheck(code, CD_MAP, cs.length, fail);
          Object[] keys = ((BuiltinKinds.MapKeys) d.aux).keys;
          for (int i = 0; i < cs.length; i++) {
            Label present = code.newLabel();
            code.aload(5);
            constant(code, keys[i], CD_Object);
            code.invokeinterface(CD_MAP, "get", MethodTypeDesc.of(CD_Object, CD_Object));
            code.astore(3).aload(3).ifnonnull(present);
            code.aload(5);
            constant(code, keys[i], CD_Object);
            code.invokeinterface(CD_MAP, "containsKey", MethodTypeDesc.of(CD_boolean, CD_Object));
            code.ifeq(fail);
            code.labelBinding(present);
            int off = offsets[i];
            flattenChild(code, cs[i], c -> position(c, off), fail);
          }
        }
        default -> throw new Unsupported(d.kind.toString());
      }
      code.iconst_1().ireturn();
      code.labelBinding(fail);
      code.iconst_0().ireturn();
    }

    /** The List or Map ({@code owner}) in local 5 must have {@code n} elements. */
    private static void sizeCheck(CodeBuilder code, ClassDesc owner, int n, Label fail) {
      code.aload(5).invokeinterface(owner, "size", MethodTypeDesc.of(CD_int));
      code.loadConstant(n).if_icmpne(fail);
    }

    private static void position(CodeBuilder code, int offset) {
      code.iload(2);
      if (offset != 0) {
        code.loadConstant(offset).iadd();
      }
    }

    /** The node (local 0) must be of node def {@code d}'s kind: a profiled class, else asked. */
    private void classCheck(CodeBuilder code, TreeDefNode d, String slowCheck, Label fail) {
      Label ok = code.newLabel();
      for (Class<?> c : classes.getOrDefault(d, Set.of())) {
        if (acceptedAs(c, d.kind)) {
          code.aload(0).invokevirtual(CD_Object, "getClass", MTD_GET_CLASS);
          constant(code, c, CD_Class);
          code.if_acmpeq(ok);
        }
      }
      constant(code, registry, CD_SNAPSHOT);
      code.aload(0).invokestatic(CD_STRUCTURE_CODE, slowCheck, MTD_CHECK).ifeq(fail);
      code.labelBinding(ok);
    }

    /** Whether the guided path walks values of class {@code c} as nodes of kind {@code k}. */
    private boolean acceptedAs(Class<?> c, NodeKind k) {
      if (registry.kindOf(c) != k) {
        return false;
      }
      return k == BuiltinKinds.LIST
          ? RandomAccess.class.isAssignableFrom(c)
          : k != BuiltinKinds.MAP || !SequencedMap.class.isAssignableFrom(c);
    }

    /** Checks and stores (or flattens) the child value in local 3, whose def is {@code e}. */
    private void flattenChild(
        CodeBuilder code, TreeDefNode e, Consumer<CodeBuilder> position, Label fail) {
      if (e.isLeaf()) {
        Label store = code.newLabel();
        code.aload(3).ifnull(fail);
        for (Class<?> c : leafClasses) {
          code.aload(3).invokevirtual(CD_Object, "getClass", MTD_GET_CLASS);
          constant(code, c, CD_Class);
          code.if_acmpeq(store);
        }
        constant(code, registry, CD_SNAPSHOT);
        code.aload(3).invokestatic(CD_STRUCTURE_CODE, "isLeaf", MTD_CHECK).ifeq(fail);
        code.labelBinding(store);
        code.aload(1);
        position.accept(code);
        code.aload(3).aastore();
      } else if (e.kind == BuiltinKinds.NULL) {
        code.aload(3).ifnonnull(fail);
      } else {
        code.aload(3).aload(1);
        position.accept(code);
        code.invokestatic(CD_SELF, "f" + methods.get(e), MTD_FLATTEN_NODE).ifeq(fail);
      }
    }

    // Unflatten methods: bK(Object[] leaves, int pos) -> Object. Locals: 2 the children array of
    // a list or map, 3 a loop index.

    private void buildNode(CodeBuilder code, TreeDefNode d) {
      TreeDefNode[] cs = d.children;
      int[] offsets = offsets(cs);
      switch (d.kind) {
        case ReflectiveKind r -> {
          constant(code, r.constructor, CD_MethodHandle);
          Object[] aux = d.aux == null ? null : ((ReflectiveKind.StaticValues) d.aux).values;
          int n = r.getters.length;
          int child = 0;
          for (int i = 0; i < n; i++) {
            if (aux == null || aux[i] == ReflectiveKind.CHILD) {
              int off = offsets[child];
              buildChild(code, cs[child++], c -> buildPosition(c, off));
            } else {
              constant(code, aux[i], CD_Object);
            }
          }
          ClassDesc[] params = new ClassDesc[n];
          java.util.Arrays.fill(params, CD_Object);
          code.invokevirtual(CD_MethodHandle, "invokeExact", MethodTypeDesc.of(CD_Object, params));
          code.areturn();
          return;
        }
        case BuiltinKinds.ListKind l -> {}
        case BuiltinKinds.MapKind m -> {}
        default -> throw new Unsupported(d.kind.toString());
      }
      code.loadConstant(cs.length).anewarray(CD_Object).astore(2);
      for (int i = 0; i < cs.length; ) {
        int end = runEnd(cs, i);
        if (end - i == 1) {
          code.aload(2).loadConstant(i);
          int off = offsets[i];
          buildChild(code, cs[i], c -> buildPosition(c, off));
          code.aastore();
        } else {
          int start = i;
          int stride = cs[i].numLeaves;
          int base = offsets[i] - start * stride;
          Label head = code.newLabel();
          Label done = code.newLabel();
          code.loadConstant(start).istore(3);
          code.labelBinding(head);
          code.iload(3).loadConstant(end).if_icmpge(done);
          code.aload(2).iload(3);
          buildChild(
              code,
              cs[i],
              c -> {
                c.iload(1).iload(3);
                if (stride != 1) {
                  c.loadConstant(stride).imul();
                }
                c.iadd();
                if (base != 0) {
                  c.loadConstant(base).iadd();
                }
              });
          code.aastore();
          code.iinc(3, 1).goto_(head);
          code.labelBinding(done);
        }
        i = end;
      }
      if (d.kind == BuiltinKinds.LIST) {
        code.new_(CD_FROZEN_LIST).dup().aload(2);
        code.invokespecial(CD_FROZEN_LIST, INIT_NAME, MethodTypeDesc.of(CD_void, CD_OBJECTS));
      } else {
        code.new_(CD_FROZEN_MAP).dup();
        constant(code, d.aux, CD_MAP_KEYS);
        code.aload(2);
        code.invokespecial(
            CD_FROZEN_MAP, INIT_NAME, MethodTypeDesc.of(CD_void, CD_MAP_KEYS, CD_OBJECTS));
      }
      code.areturn();
    }

    private static void buildPosition(CodeBuilder code, int offset) {
      code.iload(1);
      if (offset != 0) {
        code.loadConstant(offset).iadd();
      }
    }

    /** Pushes the rebuilt child of def {@code e}. */
    private void buildChild(CodeBuilder code, TreeDefNode e, Consumer<CodeBuilder> position) {
      if (e.isLeaf()) {
        code.aload(0);
        position.accept(code);
        code.aaload();
      } else if (e.kind == BuiltinKinds.NULL) {
        code.aconst_null();
      } else {
        code.aload(0);
        position.accept(code);
        code.invokestatic(CD_SELF, "b" + methods.get(e), MTD_BUILD_NODE);
      }
    }

    /** The position of each child's first leaf, relative to the node's first leaf. */
    private static int[] offsets(TreeDefNode[] cs) {
      int[] offsets = new int[cs.length];
      int at = 0;
      for (int i = 0; i < cs.length; i++) {
        offsets[i] = at;
        at += cs[i].numLeaves;
      }
      return offsets;
    }
  }
}
