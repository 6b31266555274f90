package org.cil4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.cil4j.CilException;
import org.cil4j.experiment.ConfigLoader;
import org.cil4j.experiment.Experiment;
import org.cil4j.experiment.ExperimentConfig;
import org.cil4j.experiment.RunResult;
import org.cil4j.report.Comparison;
import org.cil4j.report.Report;
import org.cil4j.report.RunDir;
import org.cil4j.train.TrainListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cil sweep}: a grid of runs from one file, run one after another into {@code
 * OUT/<run-name>/}, then the report and the comparison. A run whose results.json is complete
 * is skipped, so a second invocation continues where the first stopped (a complete run whose
 * config no longer matches the sweep's is kept, and the differences are printed); a run that
 * stopped part-way resumes from its newest checkpoint (from scratch when it has none, or when
 * its config changed since); a run that {@code runPhases} stopped is taken further when the
 * sweep raises it.
 *
 * <pre>{@code
 * {
 *   "base": "../configs/fmnist-5x2.json",          // relative to this file
 *   "out": "../runs/sweep",                         // relative to this file; --out overrides
 *   "set": ["train.epochs=2"],                      // applied to every run
 *   "axes": {                                       // every combination is one run
 *     "method.name": ["finetune", "joint"],
 *     "scenario.setting": ["multi-class", "multi-task"],
 *     "seed": [1, 2, 3]
 *   }
 * }
 * }</pre>
 */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = "Run a grid of experiments (base config x axes), skipping complete runs, then write the "
                + "report and print the comparison.")
public final class SweepCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "sweep file (JSON): base, out, set, axes")
    Path file;

    @Option(names = "--out", description = "output folder (overrides the file's 'out')")
    Path out;

    @Option(names = "--verbose", description = "print a line per epoch")
    boolean verbose;

    /** One run of the grid. */
    record Planned(String name, ExperimentConfig config) {}

    @Override
    public Integer call() {
        ObjectNode spec = ConfigLoader.readTree(file);
        Path dir = file.toAbsolutePath().getParent();
        for (Iterator<String> it = spec.fieldNames(); it.hasNext();) {
            String k = it.next();
            if (!List.of("base", "out", "set", "axes", "variants").contains(k)) {
                throw new CilException(file + ": unknown key '" + k + "'; known keys: base, out, set, axes, variants");
            }
        }
        if (!spec.hasNonNull("base")) {
            throw new CilException(file + ": 'base' (the config file the grid starts from) is required");
        }
        Path base = dir.resolve(spec.get("base").asText());
        Path root = out != null ? out : spec.hasNonNull("out") ? dir.resolve(spec.get("out").asText()) : null;
        if (root == null) {
            throw new CilException(file + ": give 'out' in the file or --out");
        }
        List<String> common = new ArrayList<>();
        if (spec.has("set")) {
            spec.get("set").forEach(n -> common.add(n.asText()));
        }
        List<Planned> plan = plan(base, common, variants(spec), axes(spec));
        int skipped = 0;
        int ran = 0;
        List<Path> dirs = new ArrayList<>();
        for (int i = 0; i < plan.size(); i++) {
            Planned p = plan.get(i);
            Path runDir = root.resolve(p.name());
            dirs.add(runDir);
            String status = prepare(runDir, p.config());
            if (status.startsWith(SKIPPED)) {
                System.err.printf("[%d/%d] %s: %s%n", i + 1, plan.size(), p.name(), status);
                skipped++;
                continue;
            }
            System.err.printf("[%d/%d] %s: %s%n", i + 1, plan.size(), p.name(), status);
            Experiment exp = new Experiment(p.config()).output(runDir);
            if (status.endsWith(RESUMING)) {
                exp.resume(false);
            }
            exp.listener(verbose ? new Progress() : TrainListener.NONE).command("cil sweep " + file).run();
            ran++;
        }
        System.err.printf("sweep: %d run(s), %d skipped as complete%n", ran, skipped);
        List<RunDir> runs = dirs.stream().map(RunDir::load).toList();
        Path page = Report.write(runs, root.resolve("report"));
        System.out.println();
        System.out.print(Comparison.of(runs).table());
        System.out.println("report: " + page);
        return 0;
    }

    /** Reads the variants: name -> overrides, in file order (empty: one unnamed variant). */
    private Map<String, List<String>> variants(ObjectNode spec) {
        Map<String, List<String>> v = new LinkedHashMap<>();
        JsonNode a = spec.get("variants");
        if (a == null) {
            return v;
        }
        if (!a.isObject() || a.isEmpty()) {
            throw new CilException(file + ": 'variants' must be an object of name -> list of key=value overrides");
        }
        a.fields().forEachRemaining(e -> {
            if (!e.getValue().isArray()) {
                throw new CilException(file + ": variant '" + e.getKey() + "' must be a list of key=value overrides");
            }
            List<String> sets = new ArrayList<>();
            e.getValue().forEach(n -> sets.add(n.asText()));
            v.put(e.getKey(), sets);
        });
        return v;
    }

    /** Reads the axes: key -> JSON values, in file order. */
    private Map<String, List<JsonNode>> axes(ObjectNode spec) {
        Map<String, List<JsonNode>> axes = new LinkedHashMap<>();
        JsonNode a = spec.get("axes");
        if (a == null) {
            return axes;
        }
        if (!a.isObject()) {
            throw new CilException(file + ": 'axes' must be an object of key -> list of values");
        }
        a.fields().forEachRemaining(e -> {
            if (!e.getValue().isArray() || e.getValue().isEmpty()) {
                throw new CilException(file + ": axis '" + e.getKey() + "' must be a non-empty list of values");
            }
            List<JsonNode> v = new ArrayList<>();
            e.getValue().forEach(v::add);
            axes.put(e.getKey(), v);
        });
        return axes;
    }

    /**
     * Expands the grid (every variant times every combination of the axes) and binds every
     * config before anything runs, so a bad value fails at once.
     */
    static List<Planned> plan(Path base, List<String> common, Map<String, List<String>> variants,
            Map<String, List<JsonNode>> axes) {
        List<Map<String, JsonNode>> combos = new ArrayList<>();
        combos.add(new LinkedHashMap<>());
        for (Map.Entry<String, List<JsonNode>> ax : axes.entrySet()) {
            List<Map<String, JsonNode>> next = new ArrayList<>();
            for (Map<String, JsonNode> c : combos) {
                for (JsonNode v : ax.getValue()) {
                    Map<String, JsonNode> m = new LinkedHashMap<>(c);
                    m.put(ax.getKey(), v);
                    next.add(m);
                }
            }
            combos = next;
        }
        Map<String, List<String>> vs = variants.isEmpty() ? Map.of("", List.of()) : variants;
        List<Planned> plan = new ArrayList<>();
        for (Map.Entry<String, List<String>> variant : vs.entrySet()) {
            for (Map<String, JsonNode> c : combos) {
                ObjectNode tree = ConfigLoader.readTree(base);
                common.forEach(s -> ConfigLoader.set(tree, s));
                variant.getValue().forEach(s -> ConfigLoader.set(tree, s));
                c.forEach((k, v) -> ConfigLoader.set(tree, k + "=" + v));
                String name = variant.getKey().isEmpty() ? runName(c, tree)
                        : c.isEmpty() ? safe(variant.getKey()) : safe(variant.getKey()) + "_" + runName(c, tree);
                ConfigLoader.set(tree, "name=" + ConfigLoader.MAPPER.valueToTree(name));
                plan.add(new Planned(name, ConfigLoader.bind(tree, base + " (sweep run " + name + ")")));
            }
        }
        if (plan.stream().map(Planned::name).distinct().count() != plan.size()) {
            throw new CilException("the sweep's run names repeat; give each axis distinct values and each variant its own name");
        }
        return plan;
    }

    /** E.g. {@code method-finetune_setting-multi-class_seed-1}; the base config's name with no axes. */
    static String runName(Map<String, JsonNode> combo, ObjectNode tree) {
        if (combo.isEmpty()) {
            return safe(tree.path("name").asText(tree.path("method").path("name").asText("run")));
        }
        List<String> parts = new ArrayList<>();
        combo.forEach((k, v) -> {
            String[] seg = k.split("\\.");
            String leaf = seg[seg.length - 1].equals("name") && seg.length > 1 ? seg[seg.length - 2] : seg[seg.length - 1];
            parts.add(leaf + "-" + (v.isTextual() ? v.asText() : v.toString()));
        });
        return safe(String.join("_", parts));
    }

    /** Removes what an unfinished run left (result, epoch log, saved config, checkpoints). */
    private static void clear(Path runDir) {
        try {
            for (String f : new String[] {"results.json", "epochs.jsonl", Experiment.CONFIG_FILE}) {
                Files.deleteIfExists(runDir.resolve(f));
            }
            Path ck = runDir.resolve("checkpoints");
            if (Files.exists(ck)) {
                try (var walk = Files.walk(ck)) {
                    for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.delete(p);
                    }
                }
            }
        } catch (IOException e) {
            throw new CilException("cannot restart " + runDir + ": " + e.getMessage(), e);
        }
    }

    private static String safe(String s) {
        return s.replaceAll("[^A-Za-z0-9._-]+", "-");
    }

    private static final String RESUMING = "resuming from its newest checkpoint";
    private static final String SKIPPED = "complete, skipped";

    /**
     * @param runDir a run's folder
     * @param planned the config the sweep would run there
     * @return "complete" to skip it, or what is done before running it
     */
    private static String prepare(Path runDir, ExperimentConfig planned) {
        Path res = runDir.resolve("results.json");
        RunResult r = null;
        boolean readable = true;
        if (Files.exists(res)) {
            try {
                r = ConfigLoader.MAPPER.readValue(res.toFile(), RunResult.class);
            } catch (IOException e) {
                readable = false;
            }
        }
        if (r != null && r.complete()) {
            if (!Files.isRegularFile(runDir.resolve(Experiment.CONFIG_FILE))) {
                return SKIPPED;
            }
            JsonNode saved = Experiment.savedConfig(runDir);
            JsonNode now = ConfigLoader.MAPPER.valueToTree(planned);
            if (Experiment.extendsRun(saved, now) && Files.isDirectory(runDir.resolve("checkpoints"))) {
                return "complete after " + r.phases().size() + " phases, runPhases raised, " + RESUMING;
            }
            List<String> changes = Experiment.configChanges(saved, now);
            return changes.isEmpty() ? SKIPPED : SKIPPED + " (but its config differs from the sweep's: "
                    + String.join("; ", changes) + "; delete the folder to run it again)";
        }
        String where = !readable ? "unreadable results.json" : r == null ? "stopped in phase 1"
                : "stopped after phase " + r.phases().size() + " of " + r.scenario().phaseSizes().length;
        if (readable && Files.isDirectory(runDir.resolve("checkpoints")) && Files.isRegularFile(runDir.resolve(Experiment.CONFIG_FILE))) {
            List<String> changes = Experiment.configChanges(Experiment.savedConfig(runDir),
                    ConfigLoader.MAPPER.valueToTree(planned));
            if (changes.isEmpty()) {
                return where + ", " + RESUMING;
            }
            clear(runDir);
            return where + ", its config changed (" + String.join("; ", changes) + "), restarting from scratch";
        }
        boolean started = Files.exists(res) || Files.exists(runDir.resolve(Experiment.CONFIG_FILE));
        clear(runDir);
        return started ? where + ", restarting from scratch" : "running";
    }
}
