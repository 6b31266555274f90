package org.cil4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.cil4j.CilException;
import org.cil4j.experiment.ConfigLoader;
import org.cil4j.experiment.ExperimentConfig;
import org.cil4j.experiment.MethodConfig;
import org.cil4j.experiment.Methods;
import org.cil4j.method.Lucir;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's Java example is a real file that compiles and runs against the library. */
class QuickStartExampleTest {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    /** Asserts that the README shows the example file verbatim. */
    private static void assertInReadme(String example) throws Exception {
        String readme = Files.readString(ROOT.resolve("README.md"));
        String text = Files.readString(ROOT.resolve(example));
        assertTrue(readme.contains(text.strip()), "README.md must contain " + example + " verbatim");
    }

    /** Compiles the example file against the test's class path into {@code out}, and loads its classes from there. */
    private URLClassLoader compile(String example, Path out) throws Exception {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int rc = javac.run(
                null,
                null,
                null,
                "-d",
                out.toString(),
                "-cp",
                System.getProperty("java.class.path"),
                ROOT.resolve(example).toString());
        assertEquals(0, rc, "javac " + example);
        return new URLClassLoader(new URL[] {out.toUri().toURL()}, getClass().getClassLoader());
    }

    @Test
    void theReadmeShowsTheExampleVerbatim() throws Exception {
        assertInReadme("examples/QuickStart.java");
    }

    @Test
    void theExampleCompilesAndRuns(@TempDir Path tmp) throws Exception {
        PrintStream out = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (URLClassLoader cl = compile("examples/QuickStart.java", tmp)) {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            cl.loadClass("QuickStart").getMethod("main", String[].class).invoke(null, (Object) new String[] {
                ROOT.resolve("configs/fmnist-5x2.json").toString(),
                "method.name=icarl",
                "scenario.classes=4",
                "scenario.trainPerClass=100",
                "scenario.testPerClass=50",
                "train.epochs=1"
            });
        } finally {
            System.setOut(out);
        }
        String printed = buf.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("icarl: average incremental accuracy"), printed);
        assertTrue(printed.contains("nearest mean of exemplars"), printed);
    }

    @Test
    void theTypedExampleBuildsWhatItsJsonConfigReads(@TempDir Path tmp) throws Exception {
        assertInReadme("examples/InCode.java");
        try (URLClassLoader cl = compile("examples/InCode.java", tmp)) {
            var m = cl.loadClass("InCode").getDeclaredMethod("config");
            m.setAccessible(true);
            ExperimentConfig inCode = (ExperimentConfig) m.invoke(null);
            ExperimentConfig json = ConfigLoader.load(
                    ROOT.resolve("configs/fmnist-5x2.json"),
                    List.of(
                            "name=\"fmnist-5x2-lucir\"",
                            "method.name=lucir",
                            "model.classifier=\"cosine\"",
                            "model.lastRelu=false",
                            "method.params.balancedFinetune=false",
                            "train.augment.pad=0")); // the file turns augmentation off with crop and flip, the default
            // with pad 0 too
            assertEquals(json.withMethod(null), inCode.withMethod(null), "every section but the method's parameters");
            assertEquals(
                    Methods.resolvedParams(json.method()),
                    Methods.resolvedParams(inCode.method()),
                    "the method's parameters, resolved");
            // a record of another method's type is refused, naming both
            CilException e = assertThrows(
                    CilException.class, () -> MethodConfig.typed("icarl", Methods.defaults(Lucir.Params.class)));
            assertTrue(
                    e.getMessage().contains("Icarl$Params") && e.getMessage().contains("Lucir$Params"), e.getMessage());
        }
    }
}
