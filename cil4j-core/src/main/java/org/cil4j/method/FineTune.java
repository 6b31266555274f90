package org.cil4j.method;

/**
 * Fine-tuning: train the whole network on the new phase's data only, with the plain
 * classification loss. The lower bound: it forgets old classes (catastrophic forgetting).
 */
public final class FineTune implements Method {
    @Override
    public String name() {
        return "finetune";
    }

    @Override
    public void train(PhaseContext ctx) {
        ctx.fit(ctx.stage("train", ctx.phaseData(), ctx.classificationLoss(true)));
    }
}
