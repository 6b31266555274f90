package org.cil4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
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
 * {@code cil demo}: the three baselines on fmnist-5x2, in the multi-class and the multi-task
 * setting, with the accuracy tables at the end.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run fine-tuning, feature extraction and joint training on fmnist-5x2 (multi-class and multi-task).")
public final class DemoCommand implements Callable<Integer> {
    static final List<String> METHODS = List.of("finetune", "feature-extraction", "joint");

    @Option(names = "--out", description = "output folder (default: runs/demo-TIMESTAMP)")
    Path out;

    @Option(names = "--set", description = "override a config key for every run (repeatable)")
    List<String> sets = new ArrayList<>();

    @Option(names = "--methods", split = ",", description = "methods to run (default: ${DEFAULT-VALUE})")
    List<String> methods = new ArrayList<>(METHODS);

    @Option(names = "--verbose", description = "print a line per epoch")
    boolean verbose;

    @Option(names = "--full", description = "train on all 6,000 images per class (the whole fmnist-5x2 protocol, "
            + "about three times longer) instead of 2,000 drawn with the seed")
    boolean full;

    /** Training images per class in the quick demo: a third of Fashion-MNIST, a few minutes on 2 cores. */
    static final int QUICK_PER_CLASS = 2000;

    @Override
    public Integer call() throws IOException {
        Path base = out != null ? out
                : Path.of("runs", "demo-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Path cfgFile = Files.createTempFile("fmnist-5x2", ".json");
        try (InputStream in = DemoCommand.class.getResourceAsStream("/configs/fmnist-5x2.json")) {
            if (in == null) {
                throw new CilException("the demo config configs/fmnist-5x2.json is missing from the build");
            }
            Files.write(cfgFile, in.readAllBytes());
        }
        List<String> table = new ArrayList<>();
        try {
            for (String setting : List.of("multi-class", "multi-task")) {
                List<RunResult> results = new ArrayList<>();
                for (String m : methods) {
                    List<String> s = new ArrayList<>(List.of("method.name=\"" + m + "\"", "scenario.setting=\"" + setting + "\"",
                            "name=\"" + m + "\""));
                    if (!full) {
                        s.add("scenario.trainPerClass=" + QUICK_PER_CLASS);
                    }
                    s.addAll(sets);
                    ExperimentConfig cfg = ConfigLoader.load(cfgFile, s);
                    System.err.printf("== %s, %s%n", m, setting);
                    RunResult r = new Experiment(cfg).output(base.resolve(setting).resolve(m))
                            .listener(verbose ? new Progress() : TrainListener.NONE).command("cil demo").run();
                    results.add(r);
                }
                table.add("fmnist-5x2" + (full ? "" : " (" + QUICK_PER_CLASS + " training images per class)") + ", "
                        + setting + ": accuracy (%) after each phase, "
                        + (setting.equals("multi-task") ? "task-aware (the oracle picks the head)" : "task-agnostic (one classifier, no oracle)")
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
