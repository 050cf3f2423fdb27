/*
 * Parses Java source files with the JDK's own compiler front end
 * (com.sun.source.util.JavacTask.parse(): syntax only, no type checking, no
 * class path) and prints, for each file, its syntax errors and its imports as
 * one JSON object per line:
 *
 *   {"file":"...","errors":["12:5: ';' expected"],"imports":[{"name":"a.b.C","static":false,"jdk":null}]}
 *
 * "jdk" says, for an import of a java.* or javax.* name, whether this JDK has
 * that class (or package, for `.*`); it is null for every other import.
 *
 * scripts/rosetta-programs.ts compiles this file into a temporary folder with
 * javac and runs it on the Java translations of the README's snippets; it
 * checks the imports against the jsii assemblies itself. Exits 0 when every
 * file was read (syntax errors are reported, not fatal), 2 when a file cannot
 * be read or no compiler is available.
 */
import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.ImportTree;
import com.sun.source.util.JavacTask;
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

public final class SnippetParser {
  private SnippetParser() {
  }

  public static void main(String[] args) throws Exception {
    JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    if (compiler == null) {
      System.err.println("no Java compiler in this runtime: run with a JDK, not a JRE");
      System.exit(2);
    }
    StringBuilder out = new StringBuilder();
    try (StandardJavaFileManager files = compiler.getStandardFileManager(null, Locale.ROOT, null)) {
      for (String path : args) {
        File file = new File(path);
        if (!file.canRead()) {
          System.err.println("cannot read " + path);
          System.exit(2);
        }
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        Iterable<? extends JavaFileObject> units = files.getJavaFileObjects(file);
        JavacTask task = (JavacTask) compiler.getTask(null, files, diagnostics, List.of("-proc:none"), null, units);
        List<String> imports = new ArrayList<>();
        for (CompilationUnitTree unit : task.parse()) {
          for (ImportTree imp : unit.getImports()) {
            imports.add("{\"name\":" + json(imp.getQualifiedIdentifier().toString()) + ",\"static\":" + imp.isStatic()
                + ",\"jdk\":" + inJdk(imp.getQualifiedIdentifier().toString(), imp.isStatic()) + "}");
          }
        }
        List<String> errors = new ArrayList<>();
        for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
          if (d.getKind() == Diagnostic.Kind.ERROR) {
            errors.add(json(d.getLineNumber() + ":" + d.getColumnNumber() + ": " + d.getMessage(Locale.ROOT)));
          }
        }
        out.append("{\"file\":").append(json(path))
            .append(",\"errors\":[").append(String.join(",", errors))
            .append("],\"imports\":[").append(String.join(",", imports)).append("]}\n");
      }
    }
    System.out.print(out);
  }

  /** For a java.* or javax.* import, whether this JDK has it ("true"/"false"); "null" otherwise. */
  private static String inJdk(String name, boolean isStatic) {
    if (!name.startsWith("java.") && !name.startsWith("javax.")) {
      return "null";
    }
    String owner = name.substring(0, name.lastIndexOf('.'));
    if (name.endsWith(".*") && !isStatic) {
      String pkg = owner;
      boolean found = ModuleLayer.boot().modules().stream().anyMatch((m) -> m.getPackages().contains(pkg));
      return Boolean.toString(found || loads(pkg));
    }
    return Boolean.toString(loads(isStatic ? owner : name));
  }

  /** Whether the class named (a nested class may be written with dots) loads. */
  private static boolean loads(String className) {
    String name = className;
    while (true) {
      try {
        Class.forName(name, false, ClassLoader.getSystemClassLoader());
        return true;
      } catch (ClassNotFoundException e) {
        int dot = name.lastIndexOf('.');
        if (dot < 0) {
          return false;
        }
        name = name.substring(0, dot) + "$" + name.substring(dot + 1);
        if (name.indexOf('.') < 0) {
          return false;
        }
      }
    }
  }

  /** A JSON string literal. */
  private static String json(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"': b.append("\\\""); break;
        case '\\': b.append("\\\\"); break;
        case '\n': b.append("\\n"); break;
        case '\r': b.append("\\r"); break;
        case '\t': b.append("\\t"); break;
        default:
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
      }
    }
    return b.append('"').toString();
  }
}
