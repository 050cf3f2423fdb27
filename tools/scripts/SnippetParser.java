/*
 * Parses Java source files with the JDK's own compiler front end
 * (com.sun.source.util.JavacTask.parse(): syntax only, no type checking, no
 * class path) and prints, for each file, its syntax errors and its imports as
 * one JSON object per line:
 *
 *   {"file":"...","errors":["12:5: ';' expected"],"imports":[{"name":"a.b.C","static":false,"jdk":null}],
 *    "names":[{"name":"Environment","line":9,"jdk":false}]}
 *
 * "jdk" says, for an import of a java.* or javax.* name, whether this JDK has
 * that class (or package, for `.*`); it is null for every other import.
 *
 * "names" are the simple names the file uses as types or as the start of a
 * qualified name (an identifier that starts with an upper-case letter, as
 * class names do and rosetta's variable names do not), except those the file
 * declares itself (classes, type parameters, variables, parameters), each
 * once, at its first use. "jdk" says whether the JDK resolves it: a class of
 * java.lang, or of a java.* or javax.* package the file imports on demand.
 * Whether the other names are imported is for the caller to decide: only it
 * knows the jsii assemblies' packages.
 *
 * scripts/rosetta-programs.ts compiles this file into a temporary folder with
 * javac and runs it on the Java translations of the README's snippets; it
 * checks the imports against the jsii assemblies itself. Exits 0 when every
 * file was read (syntax errors are reported, not fatal), 2 when a file cannot
 * be read or no compiler is available.
 */
import com.sun.source.tree.ClassTree;
import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.IdentifierTree;
import com.sun.source.tree.ImportTree;
import com.sun.source.tree.TypeParameterTree;
import com.sun.source.tree.VariableTree;
import com.sun.source.util.JavacTask;
import com.sun.source.util.SourcePositions;
import com.sun.source.util.TreeScanner;
import com.sun.source.util.Trees;
import java.io.File;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
        List<String> names = new ArrayList<>();
        SourcePositions positions = Trees.instance(task).getSourcePositions();
        for (CompilationUnitTree unit : task.parse()) {
          List<String> jdkPackages = new ArrayList<>(List.of("java.lang"));
          for (ImportTree imp : unit.getImports()) {
            String name = imp.getQualifiedIdentifier().toString();
            imports.add("{\"name\":" + json(name) + ",\"static\":" + imp.isStatic()
                + ",\"jdk\":" + inJdk(name, imp.isStatic()) + "}");
            if (!imp.isStatic() && name.endsWith(".*") && (name.startsWith("java.") || name.startsWith("javax."))) {
              jdkPackages.add(name.substring(0, name.length() - 2));
            }
          }
          for (Map.Entry<String, Long> used : usedNames(unit, positions).entrySet()) {
            boolean jdk = jdkPackages.stream().anyMatch((pkg) -> loads(pkg + "." + used.getKey()));
            names.add("{\"name\":" + json(used.getKey()) + ",\"line\":" + used.getValue() + ",\"jdk\":" + jdk + "}");
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
            .append("],\"imports\":[").append(String.join(",", imports))
            .append("],\"names\":[").append(String.join(",", names)).append("]}\n");
      }
    }
    System.out.print(out);
  }

  /**
   * The simple names `unit` uses that start with an upper-case letter (types,
   * and the first part of a qualified name such as `Environment.builder()`),
   * with the line of their first use, but for the names it declares itself.
   */
  private static Map<String, Long> usedNames(CompilationUnitTree unit, SourcePositions positions) {
    Set<String> declared = new HashSet<>();
    Map<String, Long> used = new LinkedHashMap<>();
    new TreeScanner<Void, Void>() {
      @Override
      public Void visitClass(ClassTree node, Void unused) {
        declared.add(node.getSimpleName().toString());
        return super.visitClass(node, unused);
      }

      @Override
      public Void visitTypeParameter(TypeParameterTree node, Void unused) {
        declared.add(node.getName().toString());
        return super.visitTypeParameter(node, unused);
      }

      @Override
      public Void visitVariable(VariableTree node, Void unused) {
        declared.add(node.getName().toString());
        return super.visitVariable(node, unused);
      }

      @Override
      public Void visitIdentifier(IdentifierTree node, Void unused) {
        String name = node.getName().toString();
        if (!name.isEmpty() && Character.isUpperCase(name.charAt(0)) && !used.containsKey(name)) {
          long position = positions.getStartPosition(unit, node);
          used.put(name, position < 0 ? 0 : unit.getLineMap().getLineNumber(position));
        }
        return null;
      }
    }.scan(unit, null);
    // An import's first part is an identifier too, but a package's, so lower-case.
    used.keySet().removeAll(declared);
    return used;
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
