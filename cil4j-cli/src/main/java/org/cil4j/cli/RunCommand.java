package org.cil4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.cil4j.CilException;
import org.cil4j.experiment.ConfigLoader;
import org.cil4j.experiment.Experiment;
import org.cil4j.experiment.ExperimentConfig;
import org.cil4j.experiment.RunResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cil run}: one experiment from a config file and/or flags. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run one experiment. Flags override the config file; --set overrides any key.")
public final class RunCommand implements Callable<Integer> {
    @Option(names = "--config", description = "experiment config (JSON), e.g. configs/fmnist-5x2.json")
    Path config;

    @Option(names = "--set", description = "override a config key, e.g. --set train.epochs=2 (repeatable)")
    List<String> sets = new ArrayList<>();

    @Option(names = "--method", description = "method name (see 'cil methods')")
    String method;

    @Option(names = "--dataset", description = "dataset name (see 'cil datasets')")
    String dataset;

    @Option(names = "--data-dir", description = "folder holding the dataset")
    String dataDir;

    @Option(names = "--setting", description = "multi-class or multi-task")
    String setting;

    @Option(names = "--base", description = "classes in the first phase")
    Integer base;

    @Option(names = "--increment", description = "classes per later phase")
    Integer increment;

    @Option(names = "--epochs", description = "epochs per phase")
    Integer epochs;

    @Option(names = "--seed", description = "master seed")
    Long seed;

    @Option(names = "--device", description = "cpu, gpu or auto")
    String device;

    @Option(names = "--threads", description = "engine threads (0: one per core)")
    Integer threads;

    @Option(names = "--out", required = true, description = "output folder for results.json and epochs.jsonl")
    Path out;

    @Option(names = "--quiet", description = "no progress line")
    boolean quiet;

    @Override
    public Integer call() {
        ExperimentConfig cfg = resolve();
        RunResult r = new Experiment(cfg).output(out).listener(quiet ? org.cil4j.train.TrainListener.NONE : new Progress())
                .command("cil run " + String.join(" ", ProcessHandle.current().info().arguments().map(List::of).orElse(List.of())))
                .run();
        System.out.println(Tables.run(r));
        System.out.println("results: " + out.resolve("results.json"));
        return 0;
    }

    ExperimentConfig resolve() {
        ObjectNode tree = config == null ? ConfigLoader.MAPPER.createObjectNode() : ConfigLoader.readTree(config);
        List<String> all = new ArrayList<>();
        add(all, "method.name", method == null ? null : '"' + method + '"');
        add(all, "data.dataset", dataset == null ? null : '"' + dataset + '"');
        add(all, "data.dir", dataDir == null ? null : ConfigLoader.MAPPER.valueToTree(dataDir).toString());
        add(all, "scenario.setting", setting == null ? null : '"' + setting + '"');
        add(all, "scenario.base", base);
        add(all, "scenario.increment", increment);
        add(all, "train.epochs", epochs);
        add(all, "seed", seed);
        add(all, "device", device == null ? null : '"' + device + '"');
        add(all, "threads", threads);
        all.addAll(sets);
        for (String s : all) {
            ConfigLoader.set(tree, s);
        }
        if (!tree.has("data") || !tree.get("data").has("dataset")) {
            throw new CilException("no dataset: give --config FILE or --dataset NAME");
        }
        return ConfigLoader.bind(tree, config == null ? "command line" : config.toString());
    }

    private static void add(List<String> sets, String key, Object value) {
        if (value != null) {
            sets.add(key + "=" + value);
        }
    }
}
