package org.cil4j.train;

import java.util.Map;

/**
 * What one epoch did, as written to the per-epoch log.
 *
 * @param phase phase index
 * @param stage stage name
 * @param epoch 1-based epoch
 * @param epochs epochs of the stage
 * @param lrFactor the schedule's factor on the base rates
 * @param lr the first group's learning rate
 * @param losses mean of each loss term over the epoch's batches
 * @param trainAccuracy training accuracy in percent (NaN when the method gives no logits)
 * @param imagesPerSecond training throughput
 * @param seconds wall time of the epoch
 */
public record EpochRecord(
        int phase,
        String stage,
        int epoch,
        int epochs,
        double lrFactor,
        double lr,
        Map<String, Double> losses,
        double trainAccuracy,
        double imagesPerSecond,
        double seconds) {}
