package dev.arbor.tree;

import static java.lang.constant.ConstantDescs.CD_Object;
import static java.lang.constant.ConstantDescs.CD_void;
import static java.lang.constant.ConstantDescs.INIT_NAME;
import static java.lang.constant.ConstantDescs.MTD_void;

import java.lang.classfile.ClassFile;
import java.lang.classfile.CodeBuilder;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.RecordComponent;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Direct, generated access to one record class's components: a hidden class, defined in the
 * record's own package and nest with the {@code java.lang.classfile} API, whose {@code accept(node,
 * out)} reads every component into {@code out} with plain accessor calls and whose {@code
 * apply(values)} calls the canonical constructor. The JIT compiles these like hand-written code,
 * where a method handle held in a field (not a constant) costs a call per component.
 *
 * <p>Generation needs a private lookup in the record's class, which Arbor has wherever it could
 * already use the record reflectively (the package is open to Arbor, or in an unnamed module);
 * {@link #generate} returns {@code null} otherwise and the caller keeps its method handles.
 *
 * @param reader writes the components, in declaration order, into {@code out[0..n)} (boxed)
 * @param constructor calls the canonical constructor with {@code values[0..n)} (unboxed, cast)
 */
record RecordAccess(BiConsumer<Object, Object[]> reader, Function<Object[], Object> constructor) {

  private static final ClassDesc CD_OBJECT_ARRAY = CD_Object.arrayType();

  /** Generates the access class for {@code type}, or returns {@code null} if it cannot. */
  @SuppressWarnings("unchecked")
  static RecordAccess generate(Class<?> type) {
    if (!type.isRecord() || type.isHidden()) {
      return null;
    }
    try {
      ReflectiveKind.class.getModule().addReads(type.getModule());
      MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(type, MethodHandles.lookup());
      byte[] bytes = bytes(type);
      MethodHandles.Lookup hidden =
          lookup.defineHiddenClass(bytes, true, MethodHandles.Lookup.ClassOption.NESTMATE);
      Object access =
          hidden.findConstructor(hidden.lookupClass(), MethodType.methodType(void.class)).invoke();
      return new RecordAccess(
          (BiConsumer<Object, Object[]>) access, (Function<Object[], Object>) access);
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable t) {
      // No private access (a package not opened to Arbor), a verifier surprise: the caller falls
      // back to its method handles, which are correct, only slower.
      return null;
    }
  }

  private static byte[] bytes(Class<?> type) {
    ClassDesc record = type.describeConstable().orElseThrow();
    String pkg = type.getPackageName();
    ClassDesc self = ClassDesc.of((pkg.isEmpty() ? "" : pkg + ".") + "ArborRecordAccess");
    RecordComponent[] components = type.getRecordComponents();
    ClassDesc[] types = new ClassDesc[components.length];
    for (int i = 0; i < components.length; i++) {
      types[i] = components[i].getType().describeConstable().orElseThrow();
    }
    return ClassFile.of()
        .build(
            self,
            cb -> {
              cb.withFlags(ClassFile.ACC_FINAL | ClassFile.ACC_SYNTHETIC);
              cb.withSuperclass(CD_Object);
              cb.withInterfaceSymbols(
                  ClassDesc.of("java.util.function.BiConsumer"),
                  ClassDesc.of("java.util.function.Function"));
              cb.withMethodBody(
                  INIT_NAME,
                  MTD_void,
                  ClassFile.ACC_PUBLIC,
                  code -> code.aload(0).invokespecial(CD_Object, INIT_NAME, MTD_void).return_());
              cb.withMethodBody(
                  "accept",
                  MethodTypeDesc.of(CD_void, CD_Object, CD_Object),
                  ClassFile.ACC_PUBLIC,
                  code -> {
                    code.aload(1).checkcast(record).astore(3);
                    code.aload(2).checkcast(CD_OBJECT_ARRAY).astore(4);
                    for (int i = 0; i < components.length; i++) {
                      code.aload(4).loadConstant(i).aload(3);
                      code.invokevirtual(
                          record, components[i].getName(), MethodTypeDesc.of(types[i]));
                      box(code, components[i].getType());
                      code.aastore();
                    }
                    code.return_();
                  });
              cb.withMethodBody(
                  "apply",
                  MethodTypeDesc.of(CD_Object, CD_Object),
                  ClassFile.ACC_PUBLIC,
                  code -> {
                    code.aload(1).checkcast(CD_OBJECT_ARRAY).astore(2);
                    code.new_(record).dup();
                    for (int i = 0; i < components.length; i++) {
                      code.aload(2).loadConstant(i).aaload();
                      unboxOrCast(code, components[i].getType(), types[i]);
                    }
                    code.invokespecial(record, INIT_NAME, MethodTypeDesc.of(CD_void, types));
                    code.areturn();
                  });
            });
  }

  private static void box(CodeBuilder code, Class<?> t) {
    if (t.isPrimitive()) {
      ClassDesc wrapper = wrapper(t);
      code.invokestatic(
          wrapper, "valueOf", MethodTypeDesc.of(wrapper, t.describeConstable().orElseThrow()));
    }
  }

  private static void unboxOrCast(CodeBuilder code, Class<?> t, ClassDesc desc) {
    if (t.isPrimitive()) {
      // Same exceptions as the method handle path: NullPointerException / ClassCastException.
      ClassDesc wrapper = wrapper(t);
      code.checkcast(wrapper)
          .invokevirtual(wrapper, t.getName() + "Value", MethodTypeDesc.of(desc));
    } else if (t != Object.class) {
      code.checkcast(desc);
    }
  }

  private static ClassDesc wrapper(Class<?> primitive) {
    return MethodType.methodType(primitive).wrap().returnType().describeConstable().orElseThrow();
  }
}
