package dev.arbor.internal;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Arbor's version and the compatibility rule for a plugin's {@code Arbor-Requires} manifest
 * attribute.
 *
 * <p>The rule (semantic versioning, with 0.x minors treated as breaking): a plugin that requires
 * {@code M.N[.P]} runs on Arbor {@code M'.N'.P'} when {@code M' == M} and, for {@code M == 0},
 * {@code N' == N} and {@code P' >= P}; for {@code M >= 1}, {@code N' > N}, or {@code N' == N} and
 * {@code P' >= P}. Qualifiers such as {@code -SNAPSHOT} are ignored.
 */
public final class Versions {
  private static final Pattern VERSION = Pattern.compile("(\\d+)\\.(\\d+)(?:\\.(\\d+))?.*");

  private Versions() {}

  /** The version of the running Arbor, e.g. {@code 0.1.0-SNAPSHOT}. */
  public static String arbor() {
    String v = Versions.class.getPackage().getImplementationVersion();
    return v == null ? "0.1.0-SNAPSHOT" : v;
  }

  /**
   * Why a plugin requiring {@code required} cannot run on Arbor {@code actual}, or {@code null} if
   * it can.
   */
  public static String incompatibility(String required, String actual) {
    Matcher r = VERSION.matcher(required.trim());
    Matcher a = VERSION.matcher(actual.trim());
    if (!r.matches()) {
      return "its Arbor-Requires value '"
          + required
          + "' is not a version (expected MAJOR.MINOR or MAJOR.MINOR.PATCH, e.g. 0.1)";
    }
    if (!a.matches()) {
      return null; // an unversioned development build accepts any plugin
    }
    int rm = Integer.parseInt(r.group(1));
    int rn = Integer.parseInt(r.group(2));
    int rp = r.group(3) == null ? 0 : Integer.parseInt(r.group(3));
    int am = Integer.parseInt(a.group(1));
    int an = Integer.parseInt(a.group(2));
    int ap = a.group(3) == null ? 0 : Integer.parseInt(a.group(3));
    boolean ok = am == rm && (rm == 0 ? an == rn && ap >= rp : an > rn || (an == rn && ap >= rp));
    if (ok) {
      return null;
    }
    return "it requires Arbor "
        + required.trim()
        + " (manifest Arbor-Requires) but this is Arbor "
        + actual
        + "; use a build of the plugin for Arbor "
        + am
        + "."
        + an
        + (am < rm || (am == rm && an < rn) ? ", or upgrade Arbor" : "");
  }
}
