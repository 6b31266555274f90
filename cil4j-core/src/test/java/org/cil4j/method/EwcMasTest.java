package org.cil4j.method;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.cil4j.experiment.RunResult;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * EWC and MAS on the small real multi-task sequence ({@link MultiTaskRuns}): the penalty keeps
 * the old tasks better than fine-tuning does, and no sample is stored.
 */
class EwcMasTest {
    @ParameterizedTest
    @ValueSource(strings = {"ewc", "mas"})
    void remembersOldTasksBetterThanFineTuning(String method) {
        RunResult ft = MultiTaskRuns.finetune();
        RunResult r = MultiTaskRuns.cached(method);
        int last = r.taskAware().phases() - 1;
        assertEquals(2, last);
        double old = MultiTaskRuns.oldTasksAtEnd(r);
        double ftOld = MultiTaskRuns.oldTasksAtEnd(ft);
        assertTrue(old > ftOld + 2, "old tasks after the last phase: " + method + " " + old + " vs finetune " + ftOld);
        assertTrue(
                r.taskAware().get(last, last) > 60,
                "the newest task is learned: " + r.taskAware().get(last, last));
        assertTrue(r.phases().get(last).memory().isEmpty(), method + " stores no samples");
    }
}
