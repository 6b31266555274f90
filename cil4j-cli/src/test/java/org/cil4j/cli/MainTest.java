package org.cil4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exit codes and messages of the command line on good and bad input. */
public class MainTest {
    static final Path CONFIG =
            Path.of("..", "configs", "fmnist-5x2.json").toAbsolutePath().normalize();

    /**
     * What a command printed and returned.
     *
     * @param code exit status
     * @param out standard output
     * @param err standard error
     */
    public record Outcome(int code, String out, String err) {}

    /**
     * Runs the command line in this JVM, capturing what it prints.
     *
     * @param args its arguments
     * @return its exit status and output
     */
    public static Outcome cil(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int code = Main.execute(args);
            return new Outcome(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void listsMethodsAndDatasets() {
        Outcome m = cil("methods");
        assertEquals(0, m.code());
        assertTrue(
                m.out().contains("finetune")
                        && m.out().contains("joint")
                        && m.out().contains("feature-extraction"),
                m.out());
        Outcome d = cil("datasets");
        assertEquals(0, d.code());
        assertTrue(d.out().contains("fashion-mnist") && d.out().contains("cifar100"), d.out());
    }

    @Test
    void badInputExitsWithTwoAndNamesTheCulprit(@TempDir Path tmp) throws Exception {
        Outcome missing = cil(
                "run",
                "--config",
                tmp.resolve("nope.json").toString(),
                "--out",
                tmp.resolve("o").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("nope.json"), missing.err());

        Outcome unknown = cil(
                "run",
                "--config",
                CONFIG.toString(),
                "--set",
                "train.epoch=2",
                "--out",
                tmp.resolve("o1").toString());
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("epoch"), unknown.err());

        Outcome base = cil(
                "run",
                "--config",
                CONFIG.toString(),
                "--base",
                "12",
                "--out",
                tmp.resolve("o2").toString());
        assertEquals(2, base.code());
        assertTrue(base.err().contains("scenario.base"), base.err());

        Outcome zero = cil(
                "run",
                "--config",
                CONFIG.toString(),
                "--increment",
                "0",
                "--out",
                tmp.resolve("o3").toString());
        assertEquals(2, zero.code());
        assertTrue(zero.err().contains("scenario.increment"), zero.err());

        Outcome method = cil(
                "run",
                "--config",
                CONFIG.toString(),
                "--method",
                "nope",
                "--out",
                tmp.resolve("o4").toString());
        assertEquals(2, method.code());
        assertTrue(method.err().contains("nope"), method.err());

        Outcome gpu = cil(
                "run",
                "--config",
                CONFIG.toString(),
                "--device",
                "gpu",
                "--out",
                tmp.resolve("o6").toString());
        assertEquals(2, gpu.code());
        assertTrue(gpu.err().contains("CPU natives") && gpu.err().contains("CIL4J_NATIVES=gpu"), gpu.err());

        Path emptyData = Files.createDirectories(tmp.resolve("empty"));
        Outcome data = cil(
                "run",
                "--config",
                CONFIG.toString(),
                "--data-dir",
                emptyData.toString(),
                "--out",
                tmp.resolve("o5").toString());
        assertEquals(2, data.code());
        assertTrue(data.err().contains(emptyData.toString()), data.err());

        for (String o : new String[] {"o1", "o2", "o3", "o4", "o5", "o6"}) {
            assertFalse(
                    Files.exists(tmp.resolve(o).resolve("results.json")), "no result file after a refused run: " + o);
        }
        Outcome flag = cil("run", "--bogus");
        assertEquals(2, flag.code());
    }

    @Test
    void aSmallRunWritesACompleteResult(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("run");
        Outcome r = cil(
                "run",
                "--config",
                CONFIG.toString(),
                "--method",
                "finetune",
                "--set",
                "scenario.classes=4",
                "--set",
                "scenario.trainPerClass=100",
                "--set",
                "scenario.testPerClass=50",
                "--epochs",
                "1",
                "--quiet",
                "--out",
                out.toString());
        assertEquals(0, r.code(), r.err());
        String json = Files.readString(out.resolve("results.json"));
        assertTrue(json.contains("\"complete\" : true"), json);
        assertTrue(json.contains("\"gitCommit\""), json);
        assertEquals(2, Files.readAllLines(out.resolve("epochs.jsonl")).size(), "one line per epoch and phase");
        assertTrue(r.out().contains("CNN (task-agnostic)"), r.out());
        Outcome again = cil("run", "--config", CONFIG.toString(), "--out", out.toString());
        assertEquals(2, again.code(), "an output folder with a result is not overwritten");
    }

    @Test
    void theDemoRunsTheTalksMethodsAndEndsWithTablesAndAReport(@TempDir Path tmp) throws Exception {
        // the demo's own sizes take minutes; two of its runs on a sliver of the data show the wiring
        Outcome d = cil(
                "demo",
                "--only",
                "icarl,lwf",
                "--out",
                tmp.toString(),
                "--set",
                "scenario.classes=4",
                "--set",
                "scenario.trainPerClass=40",
                "--set",
                "scenario.testPerClass=20",
                "--set",
                "train.epochs=1");
        assertEquals(0, d.code(), d.err());
        assertTrue(d.out().contains("(40 training images per class), multi-class"), d.out());
        assertTrue(d.out().contains("| icarl |") && d.out().contains("| icarl (NME) |"), d.out());
        assertTrue(d.out().contains("multi-task") && d.out().contains("| lwf |"), d.out());
        assertFalse(d.out().contains("| finetune |"), "--only keeps the other runs out: " + d.out());
        assertTrue(Files.exists(tmp.resolve("report").resolve("report.html")));
        Outcome bad = cil("demo", "--only", "nope", "--out", tmp.resolve("x").toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("nope") && bad.err().contains("lucir"), bad.err());
    }
}
