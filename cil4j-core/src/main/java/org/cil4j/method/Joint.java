package org.cil4j.method;

import java.util.Map;

/**
 * Joint re-training: every phase trains the network on all data of every class seen so far,
 * continuing from the previous phase's weights. Not incremental (it keeps all old data); the
 * upper bound the other methods are read against.
 */
public final class Joint implements Method {
    @Override
    public String name() {
        return "joint";
    }

    @Override
    public void train(PhaseContext ctx) {
        ctx.fit(ctx.stage("train", ctx.seenData(), ctx.classificationLoss(true)));
    }

    @Override
    public Map<String, Object> memoryReport() {
        return Map.of("stores", "all training data of the classes seen so far");
    }
}
