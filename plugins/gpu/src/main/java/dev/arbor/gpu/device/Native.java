package dev.arbor.gpu.device;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * A loaded native library and its downcall handles, bound by name. Loading fails with a message
 * naming the library; a missing symbol names the symbol.
 */
public final class Native {
  private final String library;
  private final SymbolLookup lookup;
  private final Linker linker = Linker.nativeLinker();

  private Native(String library, SymbolLookup lookup) {
    this.library = library;
    this.lookup = lookup;
  }

  /**
   * Loads {@code library} (a name such as {@code libcuda.so.1}, searched the way {@code dlopen}
   * does, or a path).
   */
  @SuppressWarnings(
      "restricted") // FFM is this module's purpose; native access is granted at launch
  public static Native load(String library) {
    try {
      return new Native(library, SymbolLookup.libraryLookup(library, Arena.global()));
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(library + " could not be loaded (" + e.getMessage() + ")", e);
    }
  }

  /** The library's name or path. */
  public String library() {
    return library;
  }

  /** A downcall handle for {@code symbol}. */
  @SuppressWarnings("restricted") // as above
  public MethodHandle bind(String symbol, FunctionDescriptor fd) {
    return linker.downcallHandle(
        lookup
            .find(symbol)
            .orElseThrow(() -> new IllegalStateException(library + " does not export " + symbol)),
        fd);
  }

  /** Whether {@code symbol} is exported. */
  public boolean has(String symbol) {
    return lookup.find(symbol).isPresent();
  }

  /** Calls a handle, rethrowing what it throws unchecked. */
  public static Object call(MethodHandle h, Object... args) {
    try {
      return h.invokeWithArguments(args);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }
}
