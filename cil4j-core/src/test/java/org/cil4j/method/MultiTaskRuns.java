package org.cil4j.method;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cil4j.experiment.ConfigLoader;
import org.cil4j.experiment.Experiment;
import org.cil4j.experiment.RunResult;

/**
 * The small real multi-task sequence of the method tests: Fashion-MNIST (the Debian package's
 * copy), three tasks of two classes, (shirt, T-shirt), (pullover, coat), (dress, trouser), so
 * that later tasks reshape the features the first ones need; 150 training and 100 test images
 * per class, the small CNN, 3 epochs at lr 0.02, batch 32 per task (lr 0.05 made fine-tuning's
 * network collapse at this size).
 */
final class MultiTaskRuns {
    private static final java.util.Map<String, RunResult> DEFAULT_RUNS = new java.util.HashMap<>();

    private MultiTaskRuns() {}

    /**
     * @param method registry name
     * @return the run with default parameters, computed once per test JVM and shared by the
     *     method tests (fine-tuning and LwF are the references others are read against)
     */
    static synchronized RunResult cached(String method) {
        return DEFAULT_RUNS.computeIfAbsent(method, m -> run(m, null));
    }

    /** @return the fine-tuning run, shared */
    static RunResult finetune() {
        return cached("finetune");
    }

    /**
     * @param r a run
     * @return mean task-aware accuracy of every task but the last, after the last phase
     */
    static double oldTasksAtEnd(RunResult r) {
        int last = r.taskAware().phases() - 1;
        double sum = 0;
        for (int j = 0; j < last; j++) {
            sum += r.taskAware().get(last, j);
        }
        return sum / last;
    }

    /**
     * @param method registry name
     * @param params method parameters, or null
     * @return the config tree, for tests to adjust
     */
    static ObjectNode config(String method, ObjectNode params) {
        var f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        root.put("name", "test-" + method);
        root.put("seed", 1993);
        root.put("threads", 2);
        root.putObject("data").put("dataset", "fashion-mnist");
        ObjectNode sc = root.putObject("scenario");
        sc.put("setting", "multi-task");
        sc.putArray("order")
                .add(6)
                .add(0)
                .add(2)
                .add(4)
                .add(3)
                .add(1)
                .add(5)
                .add(7)
                .add(8)
                .add(9);
        sc.put("classes", 6);
        sc.put("base", 2);
        sc.put("increment", 2);
        sc.put("trainPerClass", 150);
        sc.put("testPerClass", 100);
        root.putObject("model").put("arch", "small-cnn");
        ObjectNode tr = root.putObject("train");
        tr.put("epochs", 3);
        tr.put("batchSize", 32);
        tr.put("lr", 0.02);
        ObjectNode m = root.putObject("method");
        m.put("name", method);
        if (params != null) {
            m.set("params", params);
        }
        return root;
    }

    /**
     * @param method registry name
     * @param params method parameters, or null
     * @return the result of the whole run
     */
    static RunResult run(String method, ObjectNode params) {
        return run(config(method, params));
    }

    /**
     * @param tree a config tree
     * @return the result of the whole run
     */
    static RunResult run(ObjectNode tree) {
        long t0 = System.nanoTime();
        RunResult r = new Experiment(ConfigLoader.bind(tree, "test")).run();
        System.out.printf(
                "%s: task-aware matrix %s (%.1f s)%n",
                tree.path("method").path("name").asText(),
                java.util.Arrays.deepToString(r.taskAware().accuracy()),
                (System.nanoTime() - t0) / 1e9);
        return r;
    }
}
