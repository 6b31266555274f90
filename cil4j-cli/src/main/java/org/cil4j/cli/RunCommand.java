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
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
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

    @Option(names = "--out", description = "output folder for results.json, epochs.jsonl and checkpoints")
    Path out;

    @Option(
            names = "--resume",
            paramLabel = "OUT",
            description = "continue the run in OUT from its newest checkpoint," + " with the config saved there")
    Path resume;

    @Option(
            names = "--base-from",
            paramLabel = "RUN",
            description = "load the first phase's network from RUN (a run"
                    + " folder, or a checkpoint taken after phase 1) instead of training it; refused when RUN trained its first"
                    + " phase differently (config key baseFrom)")
    Path baseFrom;

    @Option(
            names = "--force",
            description = "with --resume: continue even though the config changed; with"
                    + " --base-from: load the base even though it was trained differently")
    boolean force;

    @Option(names = "--quiet", description = "no progress line")
    boolean quiet;

    @Override
    public Integer call() {
        if (resume != null) {
            if (out != null
                    && !out.toAbsolutePath()
                            .normalize()
                            .equals(resume.toAbsolutePath().normalize())) {
                throw new CilException("--resume " + resume + " continues in its own folder; drop --out " + out);
            }
            out = resume;
        } else if (out == null) {
            throw new CilException("give --out FOLDER (or --resume FOLDER to continue a run)");
        } else if (force && baseFrom == null) {
            throw new CilException("--force only applies to --resume or --base-from");
        }
        ExperimentConfig cfg = resolve();
        Experiment exp = new Experiment(cfg);
        if (resume != null) {
            exp.resume(force);
        }
        exp.forceBase(force);
        RunResult r = exp.output(out)
                .listener(quiet ? org.cil4j.train.TrainListener.NONE : new Progress())
                .command("cil run "
                        + String.join(
                                " ",
                                ProcessHandle.current()
                                        .info()
                                        .arguments()
                                        .map(List::of)
                                        .orElse(List.of())))
                .run();
        System.out.println(Tables.run(r));
        System.out.println("results: " + out.resolve("results.json"));
        return 0;
    }

    ExperimentConfig resolve() {
        ObjectNode tree = config != null
                ? ConfigLoader.readTree(config)
                : resume != null ? Experiment.savedConfig(resume) : ConfigLoader.MAPPER.createObjectNode();
        dropOtherMethodsParams(tree);
        List<String> all = new ArrayList<>();
        add(all, "method.name", method == null ? null : '"' + method + '"');
        add(all, "data.dataset", dataset == null ? null : '"' + dataset + '"');
        add(
                all,
                "data.dir",
                dataDir == null
                        ? null
                        : ConfigLoader.MAPPER.valueToTree(dataDir).toString());
        add(all, "scenario.setting", setting == null ? null : '"' + setting + '"');
        add(all, "scenario.base", base);
        add(all, "scenario.increment", increment);
        add(all, "train.epochs", epochs);
        add(all, "seed", seed);
        add(all, "device", device == null ? null : '"' + device + '"');
        add(all, "threads", threads);
        add(
                all,
                "baseFrom",
                baseFrom == null
                        ? null
                        : ConfigLoader.MAPPER.valueToTree(baseFrom.toString()).toString());
        all.addAll(sets);
        for (String s : all) {
            ConfigLoader.set(tree, s);
        }
        if (!tree.has("data")
                || !(tree.get("data").has("dataset") || tree.get("data").has("sequence"))) {
            throw new CilException("no dataset: give --config FILE or --dataset NAME");
        }
        return ConfigLoader.bind(
                tree,
                config != null
                        ? config.toString()
                        : resume != null
                                ? resume.resolve(Experiment.CONFIG_FILE).toString()
                                : "command line");
    }

    /**
     * {@code --method M} on a config written for another method means M with its defaults: the
     * config's {@code method.params} belong to the other method (a {@code --set
     * method.params.k=v} still applies to M).
     */
    private void dropOtherMethodsParams(ObjectNode tree) {
        if (method == null
                || !(tree.get("method") instanceof ObjectNode m)
                || !m.has("params")
                || method.equals(m.path("name").asText(null))) {
            return;
        }
        System.err.println(
                "cil: --method " + method + " replaces " + m.path("name").asText("the config's method")
                        + "; its method.params " + m.get("params") + " are not used");
        m.remove("params");
    }

    private static void add(List<String> sets, String key, Object value) {
        if (value != null) {
            sets.add(key + "=" + value);
        }
    }
}
