package org.cil4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.cil4j.CilException;
import org.cil4j.experiment.ConfigLoader;
import org.cil4j.experiment.Experiment;
import org.cil4j.experiment.ExperimentConfig;
import org.cil4j.experiment.RunResult;
import org.cil4j.train.TrainListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cil demo}: what cil4j is for, on fmnist-5x2. In the multi-class setting fine-tuning
 * (the lower bound), iCaRL, LUCIR and joint training (the upper bound); in the multi-task
 * setting fine-tuning, LwF and D+R. The accuracy tables (average incremental accuracy and
 * forgetting) and the report's figures come at the end.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = "Run the talk's methods against the baselines on fmnist-5x2: fine-tuning, iCaRL, LUCIR and joint "
                + "training (multi-class), fine-tuning, LwF and D+R (multi-task).")
public final class DemoCommand implements Callable<Integer> {
    /**
     * One run of the demo: a name in the tables, a setting, and the config keys that make it.
     *
     * @param name the run's name (its folder and its row)
     * @param setting "multi-class" or "multi-task"
     * @param sets config overrides (the method and what its model needs)
     */
    record DemoRun(String name, String setting, List<String> sets) {}

    static final List<DemoRun> RUNS = List.of(
            new DemoRun("finetune", "multi-class", List.of("method.name=\"finetune\"")),
            new DemoRun("icarl", "multi-class", List.of("method.name=\"icarl\"")),
            new DemoRun(
                    "lucir",
                    "multi-class",
                    List.of("method.name=\"lucir\"", "model.classifier=\"cosine\"", "model.lastRelu=false")),
            new DemoRun("joint", "multi-class", List.of("method.name=\"joint\"")),
            new DemoRun("finetune", "multi-task", List.of("method.name=\"finetune\"")),
            new DemoRun("lwf", "multi-task", List.of("method.name=\"lwf\"")),
            new DemoRun("dr", "multi-task", List.of("method.name=\"dr-dr\"")));

    @Option(names = "--out", description = "output folder (default: runs/demo-TIMESTAMP)")
    Path out;

    @Option(names = "--set", description = "override a config key for every run (repeatable)")
    List<String> sets = new ArrayList<>();

    @Option(names = "--only", split = ",", description = "run only these of the demo's runs (names as in its tables)")
    List<String> only = new ArrayList<>();

    @Option(names = "--verbose", description = "print a line per epoch")
    boolean verbose;

    @Option(
            names = "--full",
            description = "train on all 6,000 images per class (the whole fmnist-5x2 protocol, "
                    + "about three times longer) instead of " + QUICK_PER_CLASS + " drawn with the seed")
    boolean full;

    /** Training images per class in the quick demo: about five minutes on 2 cores for all seven runs. */
    static final int QUICK_PER_CLASS = 1000;

    @Override
    public Integer call() throws IOException {
        Path base = out != null
                ? out
                : Path.of(
                        "runs",
                        "demo-"
                                + LocalDateTime.now(ZoneId.systemDefault())
                                        .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Path cfgFile = Files.createTempFile("fmnist-5x2", ".json");
        try (InputStream in = DemoCommand.class.getResourceAsStream("/configs/fmnist-5x2.json")) {
            if (in == null) {
                throw new CilException("the demo config configs/fmnist-5x2.json is missing from the build");
            }
            Files.write(cfgFile, in.readAllBytes());
        }
        for (String o : only) {
            if (RUNS.stream().noneMatch(r -> r.name().equals(o))) {
                throw new CilException("--only " + o + ": the demo runs "
                        + RUNS.stream().map(DemoRun::name).distinct().toList());
            }
        }
        List<String> table = new ArrayList<>();
        try {
            for (String setting : List.of("multi-class", "multi-task")) {
                List<RunResult> results = new ArrayList<>();
                for (DemoRun run : RUNS) {
                    if (!run.setting().equals(setting) || (!only.isEmpty() && !only.contains(run.name()))) {
                        continue;
                    }
                    List<String> s = new ArrayList<>(run.sets());
                    s.add("scenario.setting=\"" + setting + "\"");
                    s.add("name=\"" + run.name() + "\"");
                    if (!full) {
                        s.add("scenario.trainPerClass=" + QUICK_PER_CLASS);
                    }
                    s.addAll(sets);
                    ExperimentConfig cfg = ConfigLoader.load(cfgFile, s);
                    System.err.printf("== %s, %s%n", run.name(), setting);
                    RunResult r = new Experiment(cfg)
                            .output(base.resolve(setting).resolve(run.name()))
                            .listener(verbose ? new Progress() : TrainListener.NONE)
                            .command("cil demo")
                            .run();
                    results.add(r);
                }
                if (results.isEmpty()) {
                    continue;
                }
                int perClass = results.get(0).config().scenario().trainPerClass();
                table.add("fmnist-5x2" + (perClass == 0 ? "" : " (" + perClass + " training images per class)") + ", "
                        + setting + ": accuracy (%) after each phase, "
                        + (setting.equals("multi-task")
                                ? "task-aware (the oracle picks the head)"
                                : "task-agnostic (one classifier, no oracle)")
                        + "\n\n" + Tables.compare("method", results, setting.equals("multi-task")));
            }
        } finally {
            Files.deleteIfExists(cfgFile);
        }
        Path page = org.cil4j.report.Report.write(org.cil4j.report.RunDir.find(List.of(base)), base.resolve("report"));
        System.out.println();
        table.forEach(System.out::println);
        System.out.println("results under " + base + "; report with figures: " + page);
        return 0;
    }
}
