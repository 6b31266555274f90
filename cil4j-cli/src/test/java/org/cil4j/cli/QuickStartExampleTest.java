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

    @Test
    void theReadmeShowsTheExampleVerbatim() throws Exception {
        String readme = Files.readString(ROOT.resolve("README.md"));
        String example = Files.readString(ROOT.resolve("examples/QuickStart.java"));
        assertTrue(readme.contains(example.strip()), "README.md must contain examples/QuickStart.java verbatim");
    }

    @Test
    void theExampleCompilesAndRuns(@TempDir Path tmp) throws Exception {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int rc = javac.run(
                null,
                null,
                null,
                "-d",
                tmp.toString(),
                "-cp",
                System.getProperty("java.class.path"),
                ROOT.resolve("examples/QuickStart.java").toString());
        assertEquals(0, rc, "javac");
        PrintStream out = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (URLClassLoader cl =
                new URLClassLoader(new URL[] {tmp.toUri().toURL()}, getClass().getClassLoader())) {
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
        String readme = Files.readString(ROOT.resolve("README.md"));
        String example = Files.readString(ROOT.resolve("examples/InCode.java"));
        assertTrue(readme.contains(example.strip()), "README.md must contain examples/InCode.java verbatim");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int rc = javac.run(
                null,
                null,
                null,
                "-d",
                tmp.toString(),
                "-cp",
                System.getProperty("java.class.path"),
                ROOT.resolve("examples/InCode.java").toString());
        assertEquals(0, rc, "javac");
        try (URLClassLoader cl =
                new URLClassLoader(new URL[] {tmp.toUri().toURL()}, getClass().getClassLoader())) {
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
