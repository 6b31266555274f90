package org.cil4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.cil4j.cli.Main;
import org.cil4j.data.ImageDataset;
import org.cil4j.experiment.MethodConfig;
import org.cil4j.experiment.Methods;
import org.cil4j.method.Method;
import org.cil4j.method.PhaseContext;
import org.cil4j.train.Augment;
import org.cil4j.train.ParamGroup;
import org.cil4j.train.Stage;
import org.cil4j.train.StepLoss;
import org.cil4j.train.TrainConfig;
import org.cil4j.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The harness runs end to end at tiny size and writes every row; never a timing assertion. */
class BenchTest {
    static final List<String> ROWS = List.of(
            "train step, plain CE", "train step, LwF", "train step, iCaRL", "train step, LUCIR", "train step, DR target",
            "inference, features + logits", "evaluation: features + logits + NME", "data pipeline",
            "JPEG folder of 1000 64x64 images resized to 32x32, 1 decode thread(s), first load",
            "JPEG folder of 1000 64x64 images resized to 32x32, 1 decode thread(s), second load");
    static final List<String> RATIOS = List.of(
            "step cost LwF / plain", "step cost iCaRL / plain", "step cost LUCIR / plain", "step cost DR target / plain",
            "data pipeline / plain train step", "JPEG folder: second load (cache) / first load (decode)");

    @Test
    void tinyRunWritesEveryRowWithPositiveNumbers(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("docs").resolve("BENCH.md");
        int code = Main.execute("bench", "--threads", "1", "--warmup", "1", "--iterations", "1", "--repeats", "1",
                "--batch", "8", "--eval-batch", "8", "--skip-pytorch", "--out", out.toString());
        assertEquals(0, code);
        String md = Files.readString(out);
        for (String name : ROWS) {
            String line = md.lines().filter(l -> l.startsWith("| " + name)).findFirst()
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
            String line = md.lines().filter(l -> l.startsWith("| " + name)).findFirst()
                    .orElseThrow(() -> new AssertionError("no ratio " + name + " in\n" + md));
            double v = Double.parseDouble(line.split("\\|")[2].trim());
            assertTrue(v > 0 && Double.isFinite(v), line);
        }
        assertTrue(md.toLowerCase(Locale.ROOT).contains("pytorch reference skipped"), md);
    }

    /**
     * Each benchmark variant's loss is a copy of a method's; this runs the registered method with
     * its default parameters through phase 0 (no training) on the variant's old model and then
     * builds its phase-1 training stage on the variant's network, and checks that on one batch
     * both give the same named loss terms with the same values, and train the same parameters at
     * the same rates. A method whose recipe changes without the benchmark fails here.
     */
    @Test
    void everyVariantsLossIsItsMethodsLoss() {
        int batch = 4;
        try (NDManager root = NDManager.newBaseManager()) {
            Bench bench = new Bench(new BenchOptions(1, 0, 1, 1, batch, batch), new PrintStream(OutputStream.nullOutputStream()),
                    root);
            // 2 images of each of the 60 classes: enough for herding, reserved samples and imprinting
            ImageDataset trainAll = bench.dataset(2 * Bench.CLASSES, 0, Bench.CLASSES);
            int[] labels = trainAll.labels();
            for (int i = 0; i < labels.length; i++) {
                labels[i] = i % Bench.CLASSES;
            }
            trainAll = new ImageDataset("probe", trainAll.pixels(), labels, 3, 32, 32, trainAll.classNames());
            TrainConfig recipe = TrainConfig.of(1, batch, 0.1, 0.9, 5e-4, List.of(), 0.1, Augment.NONE, batch);
            List<String> compared = new ArrayList<>();
            for (Bench.Variant v : bench.variants()) {
                Trainer trainer = new Trainer(root, bench.norm(), 0.9, 11, org.cil4j.train.TrainListener.NONE);
                try (Method m = Methods.create(MethodConfig.of(v.method(), null))) {
                    if (v.old() != null) {
                        PhaseContext first = new PhaseContext(0, bench.scenario(), v.old(), trainAll, recipe, trainer, root, 1,
                                new ArrayList<>(), (t, st, sc, p, i) -> List.of());
                        m.train(first);
                        m.afterPhase(first);
                    }
                    ImageDataset all = trainAll;
                    PhaseContext ctx = new PhaseContext(1, bench.scenario(), v.net(), all, recipe, trainer, root, 1,
                            new ArrayList<>(), (t, st, sc, p, i) -> {
                                if (st.name().equals("train")) {
                                    compare(bench, v, st, t, batch);
                                    compared.add(v.name());
                                }
                                return List.of();
                            });
                    m.train(ctx);
                }
            }
            assertEquals(List.of("plain CE", "LwF", "iCaRL", "LUCIR", "DR target"), compared);
        }
    }

    /** Runs one step whose loss computes both losses on the same batch and compares them. */
    private static void compare(Bench bench, Bench.Variant v, Stage real, Trainer trainer, int batch) {
        String what = v.name() + " (method " + v.method() + ")";
        assertEquals(real.secondary() != null, v.secondary() != null, what + ": reserved samples in the step");
        if (real.secondary() != null) {
            assertEquals(real.secondaryBatchSize(), batch, what + ": reserved samples per step");
        }
        assertEquals(rates(real.groups(), v), rates(v.groups(), v), what + ": trained parameters and their rates");
        int[] steps = {0};
        Stage probe = new Stage("probe", v.net(), bench.dataset(batch, v.labelFrom(), Bench.CLASSES), v.groups(), b -> {
            StepLoss ours = v.loss().compute(b);
            StepLoss theirs = real.loss().compute(b);
            assertEquals(theirs.terms().keySet(), ours.terms().keySet(), what + ": loss terms");
            for (String term : theirs.terms().keySet()) {
                float a = ours.terms().get(term).getFloat();
                float e = theirs.terms().get(term).getFloat();
                assertEquals(e, a, 1e-5 * Math.max(1, Math.abs(e)), what + ": term " + term);
            }
            steps[0]++;
            return ours;
        }, 1, List.of(), 1.0, batch, Augment.NONE, v.secondary(), v.secondary() == null ? 0 : batch);
        trainer.fit(probe, bench.scenario(), 1);
        assertEquals(1, steps[0], what);
    }

    /** @return for every parameter of the variant's network, the rate and decay it trains at ("frozen" if none) */
    private static Map<String, String> rates(List<ParamGroup> groups, Bench.Variant v) {
        Map<String, String> out = new TreeMap<>();
        for (String name : v.net().params().params().keySet()) {
            ParamGroup g = groups.stream().filter(x -> x.select().test(name)).findFirst().orElse(null);
            out.put(name, g == null ? "frozen" : "lr " + g.lr() + ", wd " + g.weightDecay());
        }
        assertNotNull(out);
        return out;
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
