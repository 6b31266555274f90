package org.cil4j.method;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.cil4j.CilException;
import org.cil4j.experiment.MethodConfig;
import org.cil4j.experiment.Methods;
import org.cil4j.experiment.RunResult;
import org.junit.jupiter.api.Test;

class LwfTest {
    @Test
    void defaultsAreTheReleasedSetting() {
        Lwf m = (Lwf) Methods.create(MethodConfig.of("lwf", null));
        assertEquals(new LwfParams(2.0, 0.25, 0), m.params());
    }

    @Test
    void badParametersFail() {
        assertThrows(CilException.class, () -> TestParams.bind(LwfParams.class, "{\"temperature\": 0.0}"));
        assertThrows(CilException.class, () -> TestParams.bind(LwfParams.class, "{\"weight\": -1.0}"));
        assertThrows(CilException.class, () -> TestParams.bind(LwfParams.class, "{\"warmupEpochs\": -1}"));
        var p = JsonNodeFactory.instance.objectNode().put("lambda", 1.0);
        CilException e = assertThrows(CilException.class, () -> Methods.create(MethodConfig.of("lwf", p)));
        assertTrue(e.getMessage().contains("lambda"), e.getMessage());
        var t = JsonNodeFactory.instance.objectNode().put("temperature", -2.0);
        assertThrows(CilException.class, () -> Methods.create(MethodConfig.of("lwf", t)));
    }

    /**
     * LwF keeps the old tasks better than fine-tuning does on the same seed, while learning the
     * new task about as well (Li &amp; Hoiem, ECCV 2016, Table 1 and Fig. 7: fine-tuning loses
     * the most on old tasks, LwF's new-task accuracy is close to fine-tuning's). Measured when
     * written: old tasks 75.0 (LwF) vs 68.25 (fine-tuning), new task 96.5 vs 97.5.
     */
    @Test
    void remembersOldTasksBetterThanFineTuning() {
        RunResult ft = MultiTaskRuns.finetune();
        RunResult lwf = MultiTaskRuns.cached("lwf");
        int last = lwf.taskAware().phases() - 1;
        assertEquals(2, last);
        double lwfOld = MultiTaskRuns.oldTasksAtEnd(lwf);
        double ftOld = MultiTaskRuns.oldTasksAtEnd(ft);
        assertTrue(lwfOld > ftOld + 2, "old tasks after the last phase: lwf " + lwfOld + " vs finetune " + ftOld);
        double lwfNew = lwf.taskAware().get(last, last);
        double ftNew = ft.taskAware().get(last, last);
        assertTrue(lwfNew > ftNew - 5, "new task: lwf " + lwfNew + " vs finetune " + ftNew);
        assertTrue(lwf.phases().get(last).memory().isEmpty(), "LwF stores no samples");
    }
}
