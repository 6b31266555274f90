package org.cil4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        int rc = javac.run(null, null, null, "-d", tmp.toString(), "-cp", System.getProperty("java.class.path"),
                ROOT.resolve("examples/QuickStart.java").toString());
        assertEquals(0, rc, "javac");
        PrintStream out = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (URLClassLoader cl = new URLClassLoader(new URL[] {tmp.toUri().toURL()}, getClass().getClassLoader())) {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            cl.loadClass("QuickStart").getMethod("main", String[].class).invoke(null, (Object) new String[] {
                ROOT.resolve("configs/fmnist-5x2.json").toString(), "method.name=icarl", "scenario.classes=4",
                "scenario.trainPerClass=100", "scenario.testPerClass=50", "train.epochs=1"});
        } finally {
            System.setOut(out);
        }
        String printed = buf.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("icarl: average incremental accuracy"), printed);
        assertTrue(printed.contains("nearest mean of exemplars"), printed);
    }
}
