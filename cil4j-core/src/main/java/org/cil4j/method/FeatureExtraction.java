package org.cil4j.method;

import java.util.List;
import org.cil4j.model.IncrementalNet;
import org.cil4j.train.ParamGroup;

/**
 * Feature extraction: the backbone learns in the first phase and is then frozen, batch-norm
 * statistics included; each later phase trains only its new head. Old heads never change, so
 * in the multi-task setting old tasks keep their accuracy exactly, while new tasks are limited
 * by features learned on the first one.
 */
public final class FeatureExtraction implements Method {
    @Override
    public String name() {
        return "feature-extraction";
    }

    @Override
    public void train(PhaseContext ctx) {
        if (ctx.phase() == 0) {
            ctx.fit(ctx.stage("train", ctx.phaseData(), ctx.classificationLoss(true)));
            return;
        }
        String head = IncrementalNet.headPrefix(ctx.phase());
        ctx.fit(ctx.stage("train", ctx.phaseData(), ctx.classificationLoss(false))
                .withGroups(List.of(new ParamGroup(
                        "new-head",
                        n -> n.startsWith(head),
                        ctx.train().lr(),
                        ctx.train().weightDecay()))));
    }
}
