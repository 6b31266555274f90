package org.cil4j.testutil;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import org.cil4j.experiment.ConfigLoader;
import org.cil4j.experiment.Experiment;
import org.cil4j.experiment.RunResult;

/**
 * The short multi-class run the method tests compare against fine-tuning: Fashion-MNIST, 6
 * classes in 3 phases of 2, 50 test images per class, the small CNN, 2 epochs per phase at lr
 * 0.05, batch 32, seed 1993.
 */
public final class ShortRuns {
    private ShortRuns() {}

    /**
     * @param method the registered method
     * @param trainPerClass training images per class
     * @return the config tree, to change with {@link ConfigLoader#set} before {@link #run}
     */
    public static ObjectNode tree(String method, int trainPerClass) {
        try {
            return (ObjectNode) ConfigLoader.MAPPER.readTree("""
                    {"name": "e2e-%s", "seed": 1993, "device": "cpu", "threads": 1,
                     "data": {"dataset": "fashion-mnist"},
                     "scenario": {"setting": "multi-class", "classes": 6, "base": 2, "increment": 2,
                                  "trainPerClass": %d, "testPerClass": 50},
                     "model": {"arch": "small-cnn"},
                     "train": {"epochs": 2, "batchSize": 32, "lr": 0.05},
                     "method": {"name": "%s"}}
                    """.formatted(method, trainPerClass, method));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Runs the config on real Fashion-MNIST and prints the accuracies and the time.
     *
     * @param tree the config
     * @return the result
     */
    public static RunResult run(ObjectNode tree) {
        long t0 = System.nanoTime();
        RunResult r = new Experiment(ConfigLoader.bind(tree, "test"))
                .dataSource(c -> RealData.fashionMnist())
                .run();
        System.out.printf(
                "%s: CNN %s NME %s (%.1f s)%n",
                tree.path("method").path("name").asText(),
                Arrays.deepToString(r.cnn().accuracy()),
                r.nme() == null ? "-" : Arrays.deepToString(r.nme().accuracy()),
                (System.nanoTime() - t0) / 1e9);
        return r;
    }
}
