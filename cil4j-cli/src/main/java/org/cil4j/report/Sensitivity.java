package org.cil4j.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.cil4j.CilException;
import org.cil4j.eval.AccuracyMatrix;
import org.cil4j.experiment.ConfigLoader;
import org.cil4j.experiment.Methods;
import org.cil4j.experiment.RunResult;
import org.jfree.chart.JFreeChart;

/**
 * How a result moves with one setting across runs, such as the number of reserved samples per
 * class in the talk's ablation: old-phase and new-phase accuracy at the end, and average
 * incremental accuracy, against the setting's value. Runs that stopped at different phases are
 * compared after the last phase they all reached.
 */
public final class Sensitivity {
    /**
     * One run's point.
     *
     * @param value the setting's value in the run
     * @param label the run's label
     * @param oldMean mean accuracy over the earlier phases' classes, one value per phase (tasks)
     * @param newest accuracy on the last phase's classes
     * @param averageIncremental average incremental accuracy up to that phase
     */
    public record Point(double value, String label, double oldMean, double newest, double averageIncremental) {}

    private final String key;
    private final int phases;
    private final List<Point> points;

    private Sensitivity(String key, int phases, List<Point> points) {
        this.key = key;
        this.phases = phases;
        this.points = points;
    }

    /**
     * @param runs the runs, of one scenario
     * @param labels their labels
     * @param key a config key with a number value, e.g. "method.params.reservedPerClass"; a method
     *     parameter left at its default is read from the method's resolved parameters
     * @return the points, sorted by value
     */
    public static Sensitivity of(List<RunDir> runs, List<String> labels, String key) {
        int n = runs.stream().mapToInt(d -> d.result().phases().size()).min().orElse(0);
        if (n < 2) {
            throw new CilException("--vary " + key + ": the runs need two phases or more to show old against new");
        }
        List<Point> pts = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            RunResult r = runs.get(i).result();
            double v = value(r, key, runs.get(i).dir().toString());
            AccuracyMatrix m = RunMetrics.firstPhases(RunMetrics.primary(r), n);
            double old = 0;
            for (int j = 0; j < n - 1; j++) {
                old += m.get(n - 1, j);
            }
            pts.add(new Point(v, labels.get(i), old / (n - 1), m.get(n - 1, n - 1), m.averageIncrementalAccuracy()));
        }
        pts.sort(Comparator.comparingDouble(Point::value));
        return new Sensitivity(key, n, pts);
    }

    static double value(RunResult r, String key, String where) {
        JsonNode n = ConfigLoader.MAPPER.valueToTree(r.config());
        for (String seg : key.split("\\.", -1)) { // -1: "a.b." has an empty last key, not a.b
            n = n == null ? null : n.get(seg);
        }
        if ((n == null || n.isNull()) && key.startsWith("method.params.")) {
            n = defaultParam(r, key.substring("method.params.".length()));
        }
        if (n == null || !n.isNumber()) {
            throw new CilException("--vary " + key + ": run " + where + " has no number at that key");
        }
        return n.asDouble();
    }

    /** The parameter as the run used it: recorded in results.json, or resolved from its config for older results. */
    private static JsonNode defaultParam(RunResult r, String name) {
        JsonNode params = r.methodParams() != null
                ? r.methodParams()
                : Methods.resolvedParams(r.config().method());
        return params.get(name);
    }

    /** @return the points, by value */
    public List<Point> points() {
        return points;
    }

    /** @return a Markdown table of the points */
    public String table() {
        StringBuilder sb = new StringBuilder("After phase " + phases + ".\n\n| " + key
                + " | run | old phases, mean | new phase | avg inc. |\n|---:|---|---:|---:|---:|\n");
        for (Point p : points) {
            sb.append(String.format(
                    Locale.ROOT,
                    "| %s | %s | %.2f | %.2f | %.2f |%n",
                    num(p.value()),
                    p.label(),
                    p.oldMean(),
                    p.newest(),
                    p.averageIncremental()));
        }
        return sb.toString();
    }

    /** @return old and new accuracy against the value */
    public JFreeChart chart() {
        double[] x = points.stream().mapToDouble(Point::value).toArray();
        return Charts.sensitivity(
                "Accuracy after phase " + phases + " against " + key,
                key,
                x,
                points.stream().mapToDouble(Point::oldMean).toArray(),
                points.stream().mapToDouble(Point::newest).toArray());
    }

    private static String num(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
