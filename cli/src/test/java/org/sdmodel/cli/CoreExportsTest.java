package org.sdmodel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.net.URISyntaxException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sdmodel.ModelFile;

/**
 * The CLI uses core the way any embedder must: only through the packages core's module exports.
 * jdeps (the JDK's class dependency analyser, run in-process) lists every core package the CLI's
 * classes reach; each must be exported by core's module-info. If this fails, the CLI needs
 * something core keeps internal: add it to the API rather than export the internal package.
 */
class CoreExportsTest {
    private static final Pattern DEPENDENCY = Pattern.compile("^\\s+(\\S+)\\s+->\\s+(\\S+)\\s+\\S.*$");

    @Test
    void theCliReachesCoreOnlyThroughExportedPackages() throws Exception {
        Set<String> exported = exports();
        Map<String, Set<String>> reached = coreDependencies(location(Main.class));
        Set<String> used = reached.getOrDefault("org.sdmodel.cli", Set.of());
        assertTrue(used.containsAll(Set.of("org.sdmodel", "org.sdmodel.engine", "org.sdmodel.prune", "org.sdmodel.merge",
                "org.sdmodel.scan", "org.sdmodel.webui")), "jdeps saw the CLI's use of core: " + used);
        Set<String> internal = new TreeSet<>(used);
        internal.removeAll(exported);
        assertEquals(Set.of(), internal, "core packages the CLI uses that core does not export");
    }

    /**
     * The check can fail: inside core, packages do reach the unexported ones, and it sees that.
     * (Core's classes are copied without their module-info, so that jdeps reads them as plain
     * classes, as it reads the CLI's, rather than as a module whose requirements it must resolve.)
     */
    @Test
    void theCheckSeesAReachIntoAnUnexportedPackage(@TempDir Path tmp) throws Exception {
        Set<String> exported = exports();
        Path core = location(ModelFile.class);   // target/classes, or the jar in a reactor build past package
        try (FileSystem jar = Files.isDirectory(core) ? null : FileSystems.newFileSystem(core)) {
            Path root = jar == null ? core : jar.getPath("/");
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".class")
                        && !f.getFileName().toString().equals("module-info.class"))::iterator) {
                    Path copy = tmp.resolve(root.relativize(f).toString());
                    Files.createDirectories(copy.getParent());
                    Files.copy(f, copy);
                }
            }
        }
        Map<String, Set<String>> reached = coreDependencies(tmp);
        assertTrue(reached.getOrDefault("org.sdmodel", Set.of()).contains("org.sdmodel.torch"), reached.toString());
        assertTrue(!exported.contains("org.sdmodel.torch") && !exported.contains("org.sdmodel.pickle.internal"), exported.toString());
    }

    /** The packages core's module exports to everyone, read from its module-info.class. */
    private static Set<String> exports() throws URISyntaxException {
        Path core = location(ModelFile.class);
        ModuleReference ref = ModuleFinder.of(core).find("org.sdmodel.core")
                .orElseThrow(() -> new AssertionError("no module org.sdmodel.core in " + core));
        return ref.descriptor().exports().stream().filter(e -> !e.isQualified()).map(ModuleDescriptor.Exports::source)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** jdeps -verbose:package: for each package of {@code classes}, the other org.sdmodel packages it uses. */
    private static Map<String, Set<String>> coreDependencies(Path classes) throws URISyntaxException {
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow(() -> new AssertionError("this JDK has no jdeps"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = jdeps.run(new PrintWriter(out, true), new PrintWriter(err, true),
                "-verbose:package", "-cp", location(ModelFile.class).toString(), classes.toString());
        assertEquals(0, code, err.toString());
        Map<String, Set<String>> reached = new TreeMap<>();
        for (String line : out.toString().split("\n")) {
            Matcher m = DEPENDENCY.matcher(line);
            if (m.matches() && m.group(2).startsWith("org.sdmodel") && !m.group(1).equals(m.group(2))) {
                reached.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(m.group(2));
            }
        }
        return reached;
    }

    private static Path location(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }
}
