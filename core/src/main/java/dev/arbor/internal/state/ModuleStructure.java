package dev.arbor.internal.state;

import dev.arbor.module.Module;
import dev.arbor.tree.Static;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a record or class is read and rebuilt: its components/fields, which of them are state
 * (children) and which are static configuration (aux), and its constructor. Built once per class
 * from method handles (no reflection per call).
 *
 * <p>The child/aux rule follows DESIGN.md (Pytrees): primitives, boxed primitives, strings, enums,
 * {@code Class}, functional interfaces, {@code @Static} and transient fields are aux; a {@code
 * Module}-typed slot is a child; a slot declared {@code Object} is decided by its run-time value.
 * TODO(issue 5): derive this from {@code dev.arbor.tree} (Trees.flatten/replaceAt) so registered
 * node types count too.
 */
final class ModuleStructure {
  private static final ClassValue<ModuleStructure> CACHE =
      new ClassValue<>() {
        @Override
        protected ModuleStructure computeValue(Class<?> type) {
          return new ModuleStructure(type);
        }
      };

  private enum Kind {
    CHILD,
    AUX,
    BY_VALUE
  }

  private record Slot(String name, Kind kind, MethodHandle getter, MethodHandle setter) {}

  private final Class<?> type;
  private final List<Slot> slots;
  private final MethodHandle constructor;
  private final String unusable;
  private final boolean unreadable;

  static ModuleStructure of(Class<?> type) {
    return CACHE.get(type);
  }

  private ModuleStructure(Class<?> type) {
    this.type = type;
    List<Slot> found = new ArrayList<>();
    MethodHandle ctor = null;
    String problem = null;
    boolean cannotRead = false;
    if (type.isHidden() || type.isArray() || type.isInterface()) {
      problem = Describe.type(type) + " is a hidden class (a lambda) and cannot hold state";
    } else {
      try {
        MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(type, MethodHandles.lookup());
        if (type.isRecord()) {
          RecordComponent[] components = type.getRecordComponents();
          Class<?>[] types = new Class<?>[components.length];
          for (int i = 0; i < components.length; i++) {
            RecordComponent c = components[i];
            types[i] = c.getType();
            Kind k = c.isAnnotationPresent(Static.class) ? Kind.AUX : kind(c.getType());
            found.add(new Slot(c.getName(), k, lookup.unreflect(c.getAccessor()), null));
          }
          ctor = lookup.findConstructor(type, MethodType.methodType(void.class, types));
        } else {
          List<Class<?>> chain = new ArrayList<>();
          for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            chain.addFirst(c);
          }
          for (Class<?> c : chain) {
            MethodHandles.Lookup l = MethodHandles.privateLookupIn(c, MethodHandles.lookup());
            for (Field f : c.getDeclaredFields()) {
              if (Modifier.isStatic(f.getModifiers())) {
                continue;
              }
              f.setAccessible(true);
              boolean aux =
                  f.isSynthetic()
                      || f.isAnnotationPresent(Static.class)
                      || Modifier.isTransient(f.getModifiers());
              Kind k = aux ? Kind.AUX : kind(f.getType());
              found.add(new Slot(f.getName(), k, l.unreflectGetter(f), l.unreflectSetter(f)));
            }
          }
          try {
            var noArg = type.getDeclaredConstructor();
            noArg.setAccessible(true);
            ctor = lookup.unreflectConstructor(noArg);
          } catch (NoSuchMethodException e) {
            problem =
                Describe.type(type)
                    + " has no no-arg constructor: Arbor rebuilds a class module by calling one"
                    + " (any visibility) and copying its fields; add one, or make it a record";
          }
        }
      } catch (IllegalAccessException | NoSuchMethodException | RuntimeException e) {
        problem =
            "Arbor cannot read or rebuild "
                + type.getName()
                + " ("
                + e.getMessage()
                + "): a module in a named JPMS module must open its package to Arbor: add `opens "
                + type.getPackageName()
                + " to dev.arbor;` to its module-info.java";
        found.clear();
        cannotRead = true;
      }
    }
    this.slots = List.copyOf(found);
    this.constructor = ctor;
    this.unusable = problem;
    this.unreadable = cannotRead;
  }

  private static Kind kind(Class<?> declared) {
    if (declared.isPrimitive()
        || declared == String.class
        || declared == Class.class
        || declared.isEnum()
        || Number.class.isAssignableFrom(declared) && declared.getName().startsWith("java.lang.")
        || declared == Boolean.class
        || declared == Character.class) {
      return Kind.AUX;
    }
    if (Module.class.isAssignableFrom(declared)) {
      return Kind.CHILD;
    }
    if (declared == Object.class) {
      return Kind.BY_VALUE;
    }
    if (declared.isInterface() && isFunctionalInterface(declared)) {
      return Kind.AUX;
    }
    return Kind.CHILD;
  }

  private static boolean isFunctionalInterface(Class<?> type) {
    if (type.isAnnotationPresent(FunctionalInterface.class)) {
      return true;
    }
    int abstractMethods = 0;
    for (Method m : type.getMethods()) {
      if (Modifier.isAbstract(m.getModifiers()) && !isObjectMethod(m)) {
        abstractMethods++;
      }
    }
    return abstractMethods == 1;
  }

  private static boolean isObjectMethod(Method m) {
    try {
      Object.class.getMethod(m.getName(), m.getParameterTypes());
      return true;
    } catch (NoSuchMethodException e) {
      return false;
    }
  }

  private static boolean isChild(Slot slot, Object value) {
    return switch (slot.kind) {
      case CHILD -> true;
      case AUX -> false;
      case BY_VALUE ->
          !(value instanceof String
              || value instanceof Number
              || value instanceof Boolean
              || value instanceof Character
              || value instanceof Enum<?>
              || value instanceof Class<?>);
    };
  }

  private Object get(Slot slot, Object instance) {
    try {
      return slot.getter.invoke(instance);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException("reading " + slot.name + " of " + type.getName(), t);
    }
  }

  /** The child slots of {@code instance} by name, in declaration order. */
  Map<String, Object> variables(Object instance) {
    if (unreadable) {
      throw new IllegalArgumentException(unusable);
    }
    if (slots.isEmpty()) {
      return Map.of();
    }
    LinkedHashMap<String, Object> out = new LinkedHashMap<>();
    for (Slot slot : slots) {
      Object value = get(slot, instance);
      if (isChild(slot, value)) {
        out.put(slot.name, value);
      }
    }
    return Collections.unmodifiableMap(out);
  }

  /**
   * {@code instance} with {@code assigned} children replaced and every object identical to a key of
   * {@code replacements} replaced inside its children; {@code instance} itself if nothing changed.
   * Either map may be {@code null}.
   */
  Object rebuild(
      Object instance, Map<String, Object> assigned, IdentityHashMap<Object, Object> replacements) {
    Object[] values = new Object[slots.size()];
    boolean changed = false;
    for (int i = 0; i < values.length; i++) {
      Slot slot = slots.get(i);
      Object value = get(slot, instance);
      if (assigned != null && assigned.containsKey(slot.name) && isChild(slot, value)) {
        value = assigned.get(slot.name);
        changed = true;
      }
      if (replacements != null && isChild(slot, value)) {
        Object replaced = replace(value, replacements);
        changed |= replaced != value;
        value = replaced;
      }
      values[i] = value;
    }
    return changed ? construct(values) : instance;
  }

  private Object construct(Object[] values) {
    if (unusable != null) {
      throw new IllegalArgumentException("cannot rebuild with updated state: " + unusable);
    }
    try {
      if (type.isRecord()) {
        return constructor.invokeWithArguments(values);
      }
      Object fresh = constructor.invoke();
      for (int i = 0; i < values.length; i++) {
        slots.get(i).setter.invoke(fresh, values[i]);
      }
      return fresh;
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "cannot rebuild "
              + Describe.type(type)
              + " with its updated state "
              + slotNames()
              + ": its constructor rejected the values: "
              + e.getMessage(),
          e);
    } catch (Throwable t) {
      throw new IllegalStateException("cannot rebuild " + type.getName(), t);
    }
  }

  private List<String> slotNames() {
    return slots.stream().map(Slot::name).toList();
  }

  /**
   * Replaces, by identity, every object of {@code tree} that is a key of {@code replacements}:
   * through lists, maps, optionals, object arrays, records and module classes. Everything else is a
   * leaf. Returns {@code tree} itself when nothing inside it was replaced.
   */
  static Object replace(Object tree, IdentityHashMap<Object, Object> replacements) {
    if (tree == null) {
      return null;
    }
    if (replacements.containsKey(tree)) {
      return replacements.get(tree);
    }
    switch (tree) {
      case List<?> list -> {
        List<Object> out = null;
        for (int i = 0; i < list.size(); i++) {
          Object e = list.get(i);
          Object r = replace(e, replacements);
          if (r != e && out == null) {
            out = new ArrayList<>(list);
          }
          if (out != null) {
            out.set(i, r);
          }
        }
        return out == null ? tree : Collections.unmodifiableList(out);
      }
      case Map<?, ?> map -> {
        LinkedHashMap<Object, Object> out = new LinkedHashMap<>();
        boolean changed = false;
        for (Map.Entry<?, ?> e : map.entrySet()) {
          Object r = replace(e.getValue(), replacements);
          changed |= r != e.getValue();
          out.put(e.getKey(), r);
        }
        return changed ? Collections.unmodifiableMap(out) : tree;
      }
      case java.util.Optional<?> opt -> {
        if (opt.isEmpty()) {
          return tree;
        }
        Object r = replace(opt.get(), replacements);
        return r == opt.get() ? tree : java.util.Optional.ofNullable(r);
      }
      case Object[] array -> {
        Object[] out = null;
        for (int i = 0; i < array.length; i++) {
          Object r = replace(array[i], replacements);
          if (r != array[i] && out == null) {
            out = array.clone();
          }
          if (out != null) {
            out[i] = r;
          }
        }
        return out == null ? tree : out;
      }
      default -> {
        Class<?> c = tree.getClass();
        if (tree instanceof FunctionalModule<?, ?> fm) {
          return fm.rebuilt(null, replacements);
        }
        if ((c.isRecord() || tree instanceof Module<?, ?>) && !c.isHidden()) {
          return of(c).rebuild(tree, null, replacements);
        }
        return tree;
      }
    }
  }
}
