package org.cil4j.report;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.cil4j.eval.AccuracyMatrix;
import org.cil4j.experiment.ConfigLoader;
import org.cil4j.experiment.ExperimentConfig;
import org.cil4j.experiment.PhaseResult;
import org.cil4j.experiment.Provenance;
import org.cil4j.experiment.RunResult;
import org.cil4j.train.EpochRecord;

/** Small fabricated runs built from the real result types. */
final class Fixtures {
    private Fixtures() {}

    /**
     * A complete multi-class run of three phases of two classes.
     *
     * @param name config name
     * @param sets config overrides (method.name=..., seed=..., ...)
     * @param acc the CNN accuracy matrix rows
     * @param nme the NME rows, or null
     * @return the result
     */
    static RunResult run(String name, List<String> sets, double[][] acc, double[][] nme) {
        var tree = ConfigLoader.MAPPER.createObjectNode();
        List<String> all = new ArrayList<>(List.of(
                "name=" + name,
                "data.dataset=fashion-mnist",
                "method.name=finetune",
                "scenario.base=2",
                "scenario.increment=2",
                "model.arch=small-cnn"));
        all.addAll(sets);
        all.forEach(s -> ConfigLoader.set(tree, s));
        ExperimentConfig cfg = ConfigLoader.bind(tree, "fixture");
        int n = acc.length;
        int[] order = cfg.scenario().order().isEmpty()
                ? new int[] {4, 2, 7, 6, 0, 1}
                : cfg.scenario().order().stream().mapToInt(Integer::intValue).toArray();
        int[] sizes = new int[n];
        java.util.Arrays.fill(sizes, 2);
        AccuracyMatrix cnn = AccuracyMatrix.withEqualCounts(acc);
        AccuracyMatrix aware = AccuracyMatrix.withEqualCounts(acc);
        AccuracyMatrix nm = nme == null ? null : AccuracyMatrix.withEqualCounts(nme);
        List<PhaseResult> phases = new ArrayList<>();
        for (int p = 0; p < n; p++) {
            int seen = 2 * (p + 1);
            double[] w = new double[seen];
            double[] f = new double[seen];
            for (int k = 0; k < seen; k++) {
                w[k] = k >= seen - 2 ? 1.5 : 0.8;
                f[k] = 3 + k * 0.1;
            }
            phases.add(new PhaseResult(
                    p,
                    2,
                    seen,
                    200,
                    1.0,
                    0.1,
                    100,
                    cnn.accuracyAfter(p),
                    aware.accuracyAfter(p),
                    nm == null ? null : nm.accuracyAfter(p),
                    100,
                    p == 0 ? null : cnn.oldAccuracy(p),
                    cnn.newAccuracy(p),
                    Map.of(),
                    100,
                    new PhaseResult.ClassNorms(w, f)));
        }
        RunResult.Summary s = new RunResult.Summary(
                "cnn",
                cnn.averageIncrementalAccuracy(),
                cnn.accuracyAfter(n - 1),
                cnn.forgetting(),
                cnn.backwardTransfer(),
                cnn.averageIncrementalAccuracy(),
                aware.averageIncrementalAccuracy(),
                nm == null ? null : nm.averageIncrementalAccuracy());
        return new RunResult(
                RunResult.FORMAT,
                true,
                cfg,
                org.cil4j.experiment.Methods.resolvedParams(cfg.method()),
                new RunResult.ScenarioInfo(
                        cfg.scenario().setting(),
                        java.util.Arrays.copyOf(order, 2 * n),
                        sizes,
                        List.of("a", "b", "c", "d", "e", "f").subList(0, 2 * n)),
                new Provenance(
                        "test",
                        "unknown",
                        "PyTorch",
                        "java",
                        "linux",
                        2,
                        2,
                        "host",
                        "2025-01-01T00:00:00Z",
                        null,
                        null),
                phases,
                cnn,
                aware,
                nm,
                s,
                3.0);
    }

    /** @return a two-epoch-per-phase log with two loss terms */
    static List<EpochRecord> epochs(int phases) {
        List<EpochRecord> l = new ArrayList<>();
        for (int p = 0; p < phases; p++) {
            for (int e = 1; e <= 2; e++) {
                l.add(new EpochRecord(
                        p,
                        "train",
                        e,
                        2,
                        e == 1 ? 1 : 0.1,
                        e == 1 ? 0.1 : 0.01,
                        Map.of("ce", 1.0 / e + p, "kd", 0.5 / e),
                        50,
                        1000,
                        1));
            }
        }
        return l;
    }

    /** Writes a run as a run folder (results.json and epochs.jsonl). */
    static RunDir write(Path dir, RunResult r) throws Exception {
        Files.createDirectories(dir);
        Files.write(dir.resolve("results.json"), ConfigLoader.MAPPER.writeValueAsBytes(r));
        StringBuilder sb = new StringBuilder();
        for (EpochRecord e : epochs(r.phases().size())) {
            sb.append(ConfigLoader.MAPPER.writeValueAsString(e)).append('\n');
        }
        Files.writeString(dir.resolve("epochs.jsonl"), sb);
        return RunDir.load(dir);
    }

    static final double[][] FT = {{90}, {10, 95}, {5, 8, 96}};
    static final double[][] FT2 = {{88}, {14, 93}, {3, 10, 94}};
    static final double[][] JOINT = {{90}, {85, 92}, {80, 84, 90}};
}
