package org.cil4j.method;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.cil4j.eval.AccuracyMatrix;
import org.cil4j.experiment.ConfigLoader;
import org.cil4j.experiment.Experiment;
import org.cil4j.experiment.ExperimentConfig;
import org.cil4j.experiment.RunResult;
import org.cil4j.testutil.RealData;
import org.junit.jupiter.api.Test;

/**
 * The three baselines on real Fashion-MNIST (a subset: 5 phases of 2 classes, 600 training
 * and 200 test images per class), checked against what the literature shows.
 */
class BaselinesEndToEndTest {
    static RunResult run(String method, String setting, String... extra) {
        var tree = ConfigLoader.MAPPER.createObjectNode();
        List<String> sets = new java.util.ArrayList<>(List.of(
                "data.dataset=fashion-mnist",
                "method.name=" + method,
                "scenario.setting=" + setting,
                "scenario.base=2",
                "scenario.increment=2",
                "scenario.trainPerClass=600",
                "scenario.testPerClass=200",
                "model.arch=small-cnn",
                "train.epochs=2",
                "train.lr=0.02",
                "train.batchSize=64",
                "device=cpu"));
        sets.addAll(List.of(extra));
        sets.forEach(s -> ConfigLoader.set(tree, s));
        ExperimentConfig cfg = ConfigLoader.bind(tree, "test");
        return new Experiment(cfg).dataSource(c -> RealData.fashionMnist()).run();
    }

    @Test
    void fineTuningForgetsTheFirstPhaseWhileJointTrainingDoesNot() {
        RunResult ft = run("finetune", "multi-class");
        RunResult joint = run("joint", "multi-class");
        AccuracyMatrix f = ft.cnn();
        AccuracyMatrix j = joint.cnn();
        int last = f.phases() - 1;
        assertEquals(5, f.phases());
        assertTrue(f.get(0, 0) > 70, "the first phase is learned: " + f.get(0, 0));
        assertTrue(f.get(last, 0) < 10, "fine-tuning has nearly forgotten phase 1: " + f.get(last, 0));
        assertTrue(f.get(last, last) > 90, "and is good on the newest classes: " + f.get(last, last));
        assertTrue(j.get(last, 0) > 50, "joint training keeps phase 1: " + j.get(last, 0));
        assertTrue(
                j.averageIncrementalAccuracy() > f.averageIncrementalAccuracy() + 15,
                "joint " + j.averageIncrementalAccuracy() + " vs fine-tuning " + f.averageIncrementalAccuracy());
        assertTrue(f.forgetting() > 60 && j.forgetting() < 40, f.forgetting() + " / " + j.forgetting());
        assertTrue(ft.complete() && ft.summary().primary().equals("cnn"));
    }

    @Test
    void featureExtractionKeepsTheFirstTaskExactlyInTheMultiTaskSetting() {
        RunResult fe = run("feature-extraction", "multi-task");
        AccuracyMatrix m = fe.taskAware();
        int last = m.phases() - 1;
        for (int i = 1; i <= last; i++) {
            assertEquals(m.get(0, 0), m.get(i, 0), 0.0, "task 1 after phase " + (i + 1));
        }
        assertTrue(m.get(0, 0) > 70, "task 1 is learned: " + m.get(0, 0));
        assertTrue(m.get(last, last) > 70, "later tasks learn on frozen features: " + m.get(last, last));
        assertEquals(0.0, m.forgetting(), 0.0);
        assertEquals("taskAware", fe.summary().primary());
    }
}
