package org.cil4j.experiment;

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
import java.util.concurrent.CompletableFuture;
import org.cil4j.CilException;
import org.cil4j.train.TrainListener;

/**
 * A sweep file expanded into its cells (one run each), and what it takes to run one cell: the
 * decision whether its folder is complete, resumes or restarts ({@link #prepare}), and the run
 * itself ({@link #run}). {@code cil sweep} runs the cells one after another; the Spark module
 * runs each as a task. Both go through this class, so a cell means the same thing in both.
 *
 * <pre>{@code
 * {
 *   "base": "../configs/fmnist-5x2.json",          // relative to this file
 *   "out": "../runs/sweep",                         // relative to this file; --out overrides
 *   "set": ["train.epochs=2"],                      // applied to every run
 *   "variants": { "ft": ["method.name=finetune"] }, // named sets of overrides, crossed with the axes
 *   "axes": {                                       // every combination is one run
 *     "method.name": ["finetune", "joint"],
 *     "seed": [1, 2, 3]
 *   }
 * }
 * }</pre>
 *
 * @param file the sweep file
 * @param root the output folder: one folder per cell, named after the cell
 * @param cells the cells in file order (variants, then the axes' combinations)
 */
public record Sweep(Path file, Path root, List<Cell> cells) {
    /**
     * One run of the grid.
     *
     * @param name its folder's name under the sweep's output folder
     * @param config its resolved config
     */
    public record Cell(String name, ExperimentConfig config) {}

    /** What {@link #prepare} says of a cell whose folder holds a complete run. */
    public static final String SKIPPED = "complete, skipped";
    /** What {@link #prepare} says, at its end, of a cell that continues from its checkpoint. */
    public static final String RESUMING = "resuming from its newest checkpoint";

    /**
     * Reads a sweep file and binds every cell's config before anything runs, so a bad value
     * fails at once.
     *
     * @param file the sweep file (JSON: base, out, set, variants, axes)
     * @param out the output folder, or null for the file's 'out'
     * @return the sweep
     */
    public static Sweep read(Path file, Path out) {
        if (!Files.isRegularFile(file)) {
            throw new CilException("sweep file " + file + " does not exist");
        }
        ObjectNode spec = ConfigLoader.readTree(file);
        Path dir = file.toAbsolutePath().getParent();
        for (Iterator<String> it = spec.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!List.of("base", "out", "set", "axes", "variants").contains(k)) {
                throw new CilException(file + ": unknown key '" + k + "'; known keys: base, out, set, axes, variants");
            }
        }
        if (!spec.hasNonNull("base")) {
            throw new CilException(file + ": 'base' (the config file the grid starts from) is required");
        }
        Path base = dir.resolve(spec.get("base").asText());
        Path root = out != null
                ? out
                : spec.hasNonNull("out") ? dir.resolve(spec.get("out").asText()) : null;
        if (root == null) {
            throw new CilException(file + ": give 'out' in the file or --out");
        }
        List<String> common = new ArrayList<>();
        if (spec.has("set")) {
            spec.get("set").forEach(n -> common.add(n.asText()));
        }
        return new Sweep(file, root, plan(base, common, variants(file, spec), axes(file, spec)));
    }

    /** @return each cell's run folder, in the order of the cells */
    public List<Path> runDirs() {
        return cells.stream().map(c -> root.resolve(c.name())).toList();
    }

    /** Reads the variants: name -> overrides, in file order (empty: one unnamed variant). */
    private static Map<String, List<String>> variants(Path file, ObjectNode spec) {
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
    private static Map<String, List<JsonNode>> axes(Path file, ObjectNode spec) {
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

    /** Expands the grid: every variant times every combination of the axes. */
    static List<Cell> plan(
            Path base, List<String> common, Map<String, List<String>> variants, Map<String, List<JsonNode>> axes) {
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
        List<Cell> plan = new ArrayList<>();
        for (Map.Entry<String, List<String>> variant : vs.entrySet()) {
            for (Map<String, JsonNode> c : combos) {
                ObjectNode tree = ConfigLoader.readTree(base);
                common.forEach(s -> ConfigLoader.set(tree, s));
                variant.getValue().forEach(s -> ConfigLoader.set(tree, s));
                c.forEach((k, v) -> ConfigLoader.set(tree, k + "=" + v));
                String name = variant.getKey().isEmpty()
                        ? runName(c, tree)
                        : c.isEmpty() ? safe(variant.getKey()) : safe(variant.getKey()) + "_" + runName(c, tree);
                ConfigLoader.set(tree, "name=" + ConfigLoader.MAPPER.valueToTree(name));
                plan.add(new Cell(name, ConfigLoader.bind(tree, base + " (sweep run " + name + ")")));
            }
        }
        if (plan.stream().map(Cell::name).distinct().count() != plan.size()) {
            throw new CilException(
                    "the sweep's run names repeat; give each axis distinct values and each variant its own name");
        }
        return plan;
    }

    /** E.g. {@code method-finetune_setting-multi-class_seed-1}; the base config's name with no axes. */
    static String runName(Map<String, JsonNode> combo, ObjectNode tree) {
        if (combo.isEmpty()) {
            return safe(
                    tree.path("name").asText(tree.path("method").path("name").asText("run")));
        }
        List<String> parts = new ArrayList<>();
        combo.forEach((k, v) -> {
            String[] seg = k.split("\\.", -1); // ConfigLoader.set has checked k: no empty segment
            String leaf =
                    seg[seg.length - 1].equals("name") && seg.length > 1 ? seg[seg.length - 2] : seg[seg.length - 1];
            parts.add(leaf + "-" + (v.isTextual() ? v.asText() : v.toString()));
        });
        return safe(String.join("_", parts));
    }

    private static String safe(String s) {
        return s.replaceAll("[^A-Za-z0-9._-]+", "-");
    }

    /** @return whether {@link #prepare}'s status says the cell is complete and is not to run */
    public static boolean skipped(String status) {
        return status.startsWith(SKIPPED);
    }

    /**
     * Runs one cell into its folder: resumes from the newest checkpoint when {@code status}
     * (from {@link #prepare}) says so, otherwise starts it.
     *
     * @param cell the cell
     * @param runDir its folder
     * @param status what {@link #prepare} said of the folder
     * @param listener progress
     * @param command the command line recorded in the run's provenance
     * @return the result
     */
    public static RunResult run(Cell cell, Path runDir, String status, TrainListener listener, String command) {
        Experiment exp = new Experiment(cell.config()).output(runDir);
        if (status.endsWith(RESUMING)) {
            exp.resume(false);
        }
        return exp.listener(listener).command(command).run();
    }

    /**
     * Runs one cell in this JVM, for a runner that keeps each cell in a process of its own (the
     * Spark module: DJL's PyTorch engine allows one gradient collector per JVM, so concurrent
     * cells cannot share one). The cell's config comes as JSON on standard input.
     *
     * @param args the run folder, what {@link #prepare} said of it, the command line to record
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: java org.cil4j.experiment.Sweep RUN_DIR STATUS COMMAND < config.json");
            System.exit(2);
        }
        // the cell dies with the process that runs it (a killed executor), so a retry elsewhere never races it
        ProcessHandle.current().parent().ifPresent(p -> {
            // halt() ends the JVM and never returns: the future thenRun gives can hold no failure to check
            CompletableFuture<Void> unused =
                    p.onExit().thenRun(() -> Runtime.getRuntime().halt(3));
        });
        Path runDir = Path.of(args[0]);
        ExperimentConfig cfg =
                ConfigLoader.bind((ObjectNode) ConfigLoader.MAPPER.readTree(System.in), "standard input");
        try {
            run(new Cell(runDir.getFileName().toString(), cfg), runDir, args[1], TrainListener.NONE, args[2]);
        } catch (CilException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
        }
        System.exit(0);
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
                    for (Path p :
                            walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.delete(p);
                    }
                }
            }
        } catch (IOException e) {
            throw new CilException("cannot restart " + runDir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Looks at a cell's folder before it runs: a complete run is skipped (a complete run whose
     * config no longer matches the sweep's is kept, and the differences are said); a run that
     * stopped part-way resumes from its newest checkpoint (from scratch, after its leftovers are
     * removed, when it has none or when its config changed since); a run that {@code runPhases}
     * stopped is taken further when the sweep raises it.
     *
     * @param runDir a run's folder
     * @param planned the config the sweep would run there
     * @return a status starting with {@link #SKIPPED} to skip it, or what is done before running it
     */
    public static String prepare(Path runDir, ExperimentConfig planned) {
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
            return changes.isEmpty()
                    ? SKIPPED
                    : SKIPPED + " (but its config differs from the sweep's: " + String.join("; ", changes)
                            + "; delete the folder to run it again)";
        }
        String where = !readable
                ? "unreadable results.json"
                : r == null
                        ? "stopped in phase 1"
                        : "stopped after phase " + r.phases().size() + " of "
                                + r.scenario().phaseSizes().length;
        if (readable
                && Files.isDirectory(runDir.resolve("checkpoints"))
                && Files.isRegularFile(runDir.resolve(Experiment.CONFIG_FILE))) {
            List<String> changes =
                    Experiment.configChanges(Experiment.savedConfig(runDir), ConfigLoader.MAPPER.valueToTree(planned));
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
