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
import org.cil4j.cli.MainTest;
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
            "train step, WA",
            "inference, features + logits",
            "evaluation: features + logits + NME",
            "data pipeline",
            "JPEG folder of 1000 64x64 images resized to 32x32, 1 decode thread(s), first load",
            "JPEG folder of 1000 64x64 images resized to 32x32, 1 decode thread(s), second load");
    static final List<String> RATIOS = List.of(
            "step cost LwF / plain",
            "step cost iCaRL / plain",
            "step cost LUCIR / plain",
            "step cost WA / plain",
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
                "--methods",
                "lwf,icarl,lucir,wa",
                "--out",
                out.toString());
        assertEquals(0, code);
        String md = Files.readString(out);
        assertTrue(md.contains("--methods lwf,icarl,lucir,wa"), "the header names the methods asked for:\n" + md);
        assertTrue(md.lines().noneMatch(l -> l.startsWith("| train step, DER")), "only the methods asked for:\n" + md);
        for (String name : ROWS) {
            String line = md.lines()
                    .filter(l -> l.startsWith("| " + name))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no row " + name + " in\n" + md));
            String[] cells = line.split("\\|", -1);
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
            double v = Double.parseDouble(line.split("\\|", -1)[2].trim());
            assertTrue(v > 0 && Double.isFinite(v), line);
        }
        assertTrue(md.toLowerCase(Locale.ROOT).contains("pytorch reference skipped"), md);
    }

    /**
     * Each row times its registered method's own phase-1 stage: the bench runs the method's
     * {@code train} and swaps its stage named "train" for the timed one, so a method that no
     * longer builds that stage, or one whose step fails, fails here (the figures cannot drift
     * from the code: there is no copy of a loss left to drift). Each is timed twice, as the
     * bench's warm-up and repeats train the same phase again.
     */
    @Test
    void everyRowTimesItsRegisteredMethodsTrainStage() {
        // as the bench's command does: the thread count must not depend on what ran before in this JVM
        org.cil4j.engine.Engines.start("cpu", 1);
        try (NDManager root = NDManager.newBaseManager()) {
            Bench bench = new Bench(
                    new BenchOptions(1, 0, 1, 1, 4, 4), new PrintStream(OutputStream.nullOutputStream()), root);
            List<String> timed = new ArrayList<>();
            List<Bench.Variant> variants = bench.variants();
            for (Bench.Variant v : variants) {
                assertTrue(Methods.all().stream().anyMatch(e -> e.name().equals(v.registered())), v.registered());
                for (int again = 0; again < 2; again++) {
                    double secs = bench.fit(v, 3);
                    assertTrue(secs > 0 && Double.isFinite(secs), v.name() + ": " + secs);
                }
                assertEquals(v.phase() + 1, v.net().numHeads(), v.name() + ": heads of its phase");
                timed.add(v.registered() + "@" + v.phase());
            }
            assertEquals(
                    List.of(
                            "finetune@1",
                            "lwf@1",
                            "icarl@1",
                            "lucir@1",
                            "dr@1",
                            "replay@1",
                            "ewc@1",
                            "mas@1",
                            "bic@1",
                            "wa@1",
                            "podnet@1",
                            "der++@1",
                            "der@1",
                            "der@2",
                            "der@3",
                            "der@4",
                            "der@5"),
                    timed);
            for (Methods.Entry e : Methods.all()) {
                boolean rowed = timed.stream().anyMatch(t -> t.startsWith(e.name() + "@"));
                assertTrue(
                        rowed != Bench.UNTIMED.containsKey(e.name()),
                        e.name() + " must have a row in the bench or a reason in Bench.UNTIMED, not both");
            }
            assertTrue(
                    Methods.all().stream().map(Methods.Entry::name).toList().containsAll(Bench.UNTIMED.keySet()),
                    "Bench.UNTIMED names only registered methods: " + Bench.UNTIMED.keySet());
            Bench.Variant last = variants.get(variants.size() - 1);
            assertEquals(6, last.net().backbone().size(), "DER's last row trains with six backbones");
        }
    }

    /** A --methods name that is not registered, or has no row, is refused before anything is measured or written. */
    @Test
    void methodsWithoutARowAreRefusedNamingTheOption(@TempDir Path tmp) throws Exception {
        for (String[] bad :
                new String[][] {{"lucir,nosuch", "no registered method nosuch"}, {"joint", "joint has no row"}}) {
            Path out = tmp.resolve(bad[0] + ".md");
            MainTest.Outcome r = MainTest.cil("bench", "--skip-pytorch", "--methods", bad[0], "--out", out.toString());
            String msg = r.err();
            assertEquals(2, r.code(), msg);
            assertTrue(msg.contains("--methods") && msg.contains(bad[1]), msg);
            assertTrue(!Files.exists(out), "no table written for a refused run");
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
