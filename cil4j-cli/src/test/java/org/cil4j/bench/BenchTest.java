package org.cil4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.cil4j.cli.Main;
import org.cil4j.experiment.Methods;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The harness runs end to end at tiny size and writes every row; never a timing assertion. */
class BenchTest {
    static final List<String> ROWS = List.of(
            "train step, plain CE",
            "train step, LwF",
            "train step, iCaRL",
            "train step, LUCIR",
            "train step, DR target",
            "inference, features + logits",
            "evaluation: features + logits + NME",
            "data pipeline",
            "JPEG folder of 1000 64x64 images resized to 32x32, 1 decode thread(s), first load",
            "JPEG folder of 1000 64x64 images resized to 32x32, 1 decode thread(s), second load");
    static final List<String> RATIOS = List.of(
            "step cost LwF / plain",
            "step cost iCaRL / plain",
            "step cost LUCIR / plain",
            "step cost DR target / plain",
            "data pipeline / plain train step",
            "JPEG folder: second load (cache) / first load (decode)");

    @Test
    void tinyRunWritesEveryRowWithPositiveNumbers(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("docs").resolve("BENCH.md");
        int code = Main.execute(
                "bench",
                "--threads",
                "1",
                "--warmup",
                "1",
                "--iterations",
                "1",
                "--repeats",
                "1",
                "--batch",
                "8",
                "--eval-batch",
                "8",
                "--skip-pytorch",
                "--out",
                out.toString());
        assertEquals(0, code);
        String md = Files.readString(out);
        for (String name : ROWS) {
            String line = md.lines()
                    .filter(l -> l.startsWith("| " + name))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no row " + name + " in\n" + md));
            String[] cells = line.split("\\|");
            for (int c = 2; c <= 4; c++) {
                double v = Double.parseDouble(cells[c].trim());
                assertTrue(v > 0 && Double.isFinite(v), name + ": " + line);
            }
            String rss = cells[5].trim();
            assertTrue(rss.equals("n/a") || Long.parseLong(rss) > 0, line);
        }
        for (String name : RATIOS) {
            String line = md.lines()
                    .filter(l -> l.startsWith("| " + name))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no ratio " + name + " in\n" + md));
            double v = Double.parseDouble(line.split("\\|")[2].trim());
            assertTrue(v > 0 && Double.isFinite(v), line);
        }
        assertTrue(md.toLowerCase(Locale.ROOT).contains("pytorch reference skipped"), md);
    }

    /**
     * Each row times its registered method's own phase-1 stage: the bench runs the method's
     * {@code train} and swaps its stage named "train" for the timed one, so a method that no
     * longer builds that stage, or one whose step fails, fails here (the figures cannot drift
     * from the code: there is no copy of a loss left to drift).
     */
    @Test
    void everyRowTimesItsRegisteredMethodsTrainStage() {
        try (NDManager root = NDManager.newBaseManager()) {
            Bench bench = new Bench(
                    new BenchOptions(1, 0, 1, 1, 4, 4), new PrintStream(OutputStream.nullOutputStream()), root);
            List<String> timed = new ArrayList<>();
            for (Bench.Variant v : bench.variants()) {
                assertTrue(Methods.all().stream().anyMatch(e -> e.name().equals(v.registered())), v.registered());
                double secs = bench.fit(v, 3);
                assertTrue(secs > 0 && Double.isFinite(secs), v.name() + ": " + secs);
                timed.add(v.registered());
            }
            assertEquals(List.of("finetune", "lwf", "icarl", "lucir", "dr"), timed);
        }
    }

    @Test
    void statsAreMedianMinMax() {
        Stats odd = Stats.of(List.of(3.0, 1.0, 2.0));
        assertEquals(2.0, odd.median());
        assertEquals(1.0, odd.min());
        assertEquals(3.0, odd.max());
        assertEquals(2.5, Stats.of(List.of(4.0, 1.0, 2.0, 3.0)).median());
    }
}
