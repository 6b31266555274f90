package org.cil4j.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;
import org.cil4j.experiment.ConfigLoader;
import org.cil4j.experiment.RunResult;

/**
 * Groups runs whose configs differ only in what is averaged over (seed, class order, name) and
 * compares the groups: mean and standard deviation of the headline numbers, and the config
 * keys in which the groups differ.
 */
public final class Comparison {
    /** Config keys a group averages over: they do not make a new row. */
    public static final Set<String> REPLICATE_KEYS =
            Set.of("name", "seed", "threads", "data.dir", "scenario.order", "scenario.orderSeed");

    private final List<Group> groups;
    private final Map<String, List<String>> differences;

    /**
     * One row: runs with the same config up to the replicate keys.
     *
     * @param config the shared config, flattened to dotted keys (replicate keys removed)
     * @param runs the runs
     */
    public record Group(Map<String, String> config, List<RunDir> runs) {
        /**
         * @param f a number of a result
         * @return its mean and sample standard deviation over the runs (NaN when a run lacks it)
         */
        public double[] meanStd(ToDoubleFunction<RunResult> f) {
            double[] v =
                    runs.stream().mapToDouble(d -> f.applyAsDouble(d.result())).toArray();
            double mean = 0;
            for (double x : v) {
                mean += x;
            }
            mean /= v.length;
            double ss = 0;
            for (double x : v) {
                ss += (x - mean) * (x - mean);
            }
            return new double[] {mean, v.length > 1 ? Math.sqrt(ss / (v.length - 1)) : Double.NaN};
        }

        /**
         * @param key a replicate key
         * @return its distinct values over the runs
         */
        public Set<String> values(String key) {
            Set<String> s = new LinkedHashSet<>();
            for (RunDir d : runs) {
                s.add(flatten(d.result()).getOrDefault(key, "-"));
            }
            return s;
        }
    }

    private Comparison(List<Group> groups, Map<String, List<String>> differences) {
        this.groups = groups;
        this.differences = differences;
    }

    /**
     * Groups runs, in the order they are given.
     *
     * @param runs the runs
     * @return the comparison
     */
    public static Comparison of(List<RunDir> runs) {
        Map<Map<String, String>, List<RunDir>> byConfig = new LinkedHashMap<>();
        for (RunDir d : runs) {
            Map<String, String> c = flatten(d.result());
            REPLICATE_KEYS.forEach(c::remove);
            byConfig.computeIfAbsent(c, k -> new ArrayList<>()).add(d);
        }
        List<Group> groups = new ArrayList<>();
        byConfig.forEach((c, r) -> groups.add(new Group(c, List.copyOf(r))));
        Set<String> keys = new LinkedHashSet<>();
        groups.forEach(g -> keys.addAll(g.config().keySet()));
        Map<String, List<String>> diff = new LinkedHashMap<>();
        // a method's own parameters are part of what the method is: when the methods differ,
        // listing every parameter one method has and another lacks only hides the difference
        boolean methodsDiffer = groups.stream()
                        .map(g -> g.config().get("method.name"))
                        .distinct()
                        .count()
                > 1;
        for (String k : keys) {
            if (methodsDiffer && k.startsWith("method.params.")) {
                continue;
            }
            List<String> vals = groups.stream()
                    .map(g -> g.config().getOrDefault(k, "(absent)"))
                    .toList();
            if (vals.stream().distinct().count() > 1) {
                diff.put(k, vals);
            }
        }
        return new Comparison(List.copyOf(groups), diff);
    }

    /** @return the rows */
    public List<Group> groups() {
        return groups;
    }

    /** @return each config key that differs between rows, with its value in each row */
    public Map<String, List<String>> differences() {
        return differences;
    }

    /**
     * The differences spelled out, e.g. {@code method.name: finetune vs joint; train.epochs: 2 vs 3}.
     *
     * @return one phrase per differing key, "" when there is one row
     */
    public String describeDifferences() {
        List<String> parts = new ArrayList<>();
        differences.forEach((k, v) -> parts.add(k + ": " + String.join(" vs ", v)));
        return String.join("; ", parts);
    }

    /**
     * @param g a row
     * @return its label: the values of the differing keys, or the config name when nothing
     *     differs
     */
    public String label(Group g) {
        if (differences.isEmpty()) {
            return g.runs().get(0).result().config().name();
        }
        List<String> parts = new ArrayList<>();
        for (String k : differences.keySet()) {
            parts.add(shortKey(k) + "=" + g.config().getOrDefault(k, "(absent)"));
        }
        return String.join(", ", parts);
    }

    /**
     * The comparison as a Markdown table with a line naming the differences and what each row
     * averages over.
     *
     * @return the table
     */
    public String table() {
        StringBuilder sb = new StringBuilder();
        sb.append("| config | runs | avg inc. acc. | last acc. | forgetting | BWT | avg inc. NME |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|\n");
        for (Group g : groups) {
            long incomplete =
                    g.runs().stream().filter(d -> !d.result().complete()).count();
            sb.append("| ")
                    .append(label(g))
                    .append(" | ")
                    .append(g.runs().size())
                    .append(incomplete > 0 ? " (" + incomplete + " incomplete)" : "")
                    .append(" | ")
                    .append(pm(g.meanStd(r -> r.summary().averageIncremental())))
                    .append(" | ")
                    .append(pm(g.meanStd(r -> r.summary().last())))
                    .append(" | ")
                    .append(pm(g.meanStd(r -> r.summary().forgetting())))
                    .append(" | ")
                    .append(pm(g.meanStd(r -> r.summary().backwardTransfer())))
                    .append(" | ")
                    .append(pm(g.meanStd(r -> r.summary().averageIncrementalNme() == null
                            ? Double.NaN
                            : r.summary().averageIncrementalNme())))
                    .append(" |\n");
        }
        sb.append('\n');
        sb.append(differences.isEmpty() ? "One config." : "Differences: " + describeDifferences() + ".")
                .append('\n');
        for (Group g : groups) {
            List<String> over = new ArrayList<>();
            for (String k : List.of("seed", "scenario.orderSeed", "scenario.order")) {
                Set<String> v = g.values(k);
                if (v.size() > 1) {
                    over.add(k + " " + String.join(", ", v));
                }
            }
            if (!over.isEmpty()) {
                sb.append("  ")
                        .append(label(g))
                        .append(": mean ± sd over ")
                        .append(String.join("; ", over))
                        .append('\n');
            }
        }
        sb.append("Accuracies in %, of each run's own metric (")
                .append(
                        "task-agnostic CNN for multi-class, task-aware for multi-task); ± is the sample standard deviation.\n");
        return sb.toString();
    }

    /**
     * @param ms mean and standard deviation
     * @return "m ± s", "m" for one run, "-" when absent
     */
    static String pm(double[] ms) {
        if (Double.isNaN(ms[0])) {
            return "-";
        }
        return Double.isNaN(ms[1])
                ? String.format(Locale.ROOT, "%.2f", ms[0])
                : String.format(Locale.ROOT, "%.2f ± %.2f", ms[0], ms[1]);
    }

    private static String shortKey(String k) {
        return k.endsWith(".name") ? k.substring(0, k.length() - 5) : k;
    }

    /**
     * @param r a result
     * @return its config as dotted keys (sorted within each section), arrays as JSON text
     */
    public static Map<String, String> flatten(RunResult r) {
        Map<String, String> out = new LinkedHashMap<>();
        flatten("", ConfigLoader.MAPPER.valueToTree(r.config()), out);
        return out;
    }

    private static void flatten(String prefix, JsonNode n, Map<String, String> out) {
        if (n.isObject()) {
            // an empty section says nothing a missing one doesn't (method.params = {} is "no params")
            Iterator<Map.Entry<String, JsonNode>> it = n.fields();
            // sorted within a section so that key order in a file does not split groups
            Map<String, JsonNode> sorted = new TreeMap<>();
            it.forEachRemaining(e -> sorted.put(e.getKey(), e.getValue()));
            sorted.forEach((k, v) -> flatten(prefix.isEmpty() ? k : prefix + "." + k, v, out));
        } else {
            out.put(prefix, n.isTextual() ? n.asText() : Objects.toString(n));
        }
    }
}
