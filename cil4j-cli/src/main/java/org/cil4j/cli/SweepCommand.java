package org.cil4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.cil4j.experiment.Sweep;
import org.cil4j.report.Comparison;
import org.cil4j.report.Report;
import org.cil4j.report.RunDir;
import org.cil4j.train.TrainListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cil sweep}: a grid of runs from one file ({@link Sweep}: base config, common
 * overrides, variants, axes), run one after another into {@code OUT/<run-name>/}, or each as a
 * task of Apache Spark with {@code --spark MASTER}; then the report and the comparison. A run
 * whose results.json is complete is skipped, so a second invocation continues where the first
 * stopped (a complete run whose config no longer matches the sweep's is kept, and the
 * differences are printed); a run that stopped part-way resumes from its newest checkpoint
 * (from scratch when it has none, or when its config changed since); a run that {@code
 * runPhases} stopped is taken further when the sweep raises it.
 */
@Command(
        name = "sweep",
        mixinStandardHelpOptions = true,
        description = "Run a grid of experiments (base config x axes), skipping complete runs, then write the "
                + "report and print the comparison.")
public final class SweepCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "sweep file (JSON): base, out, set, axes")
    Path file;

    @Option(names = "--out", description = "output folder (overrides the file's 'out')")
    Path out;

    @Option(names = "--verbose", description = "print a line per epoch")
    boolean verbose;

    @Option(
            names = "--spark",
            paramLabel = "MASTER",
            description =
                    "run each cell as a task of Apache Spark: local[N] (Spark"
                            + " in this JVM), or 'submit' under spark-submit, which names the cluster's master; needs the cil4j-spark module")
    String spark;

    @Override
    public Integer call() {
        Sweep sweep = Sweep.read(file, out);
        List<String> statuses =
                spark != null ? SparkJobs.load().sweep(sweep, spark, "cil sweep " + file) : runHere(sweep);
        long skipped = statuses.stream().filter(Sweep::skipped).count();
        System.err.printf("sweep: %d run(s), %d skipped as complete%n", statuses.size() - skipped, skipped);
        List<RunDir> runs = sweep.runDirs().stream().map(RunDir::load).toList();
        Path page = Report.write(runs, sweep.root().resolve("report"));
        System.out.println();
        System.out.print(Comparison.of(runs).table());
        System.out.println("report: " + page);
        return 0;
    }

    /** Runs the cells one after another in this JVM; returns what was said of each. */
    private List<String> runHere(Sweep sweep) {
        List<String> statuses = new ArrayList<>();
        List<Sweep.Cell> cells = sweep.cells();
        for (int i = 0; i < cells.size(); i++) {
            Sweep.Cell c = cells.get(i);
            Path runDir = sweep.root().resolve(c.name());
            String status = Sweep.prepare(runDir, c.config());
            System.err.printf("[%d/%d] %s: %s%n", i + 1, cells.size(), c.name(), status);
            statuses.add(status);
            if (!Sweep.skipped(status)) {
                Sweep.run(c, runDir, status, verbose ? new Progress() : TrainListener.NONE, "cil sweep " + file);
            }
        }
        return statuses;
    }
}
