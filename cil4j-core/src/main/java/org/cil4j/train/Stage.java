package org.cil4j.train;

import java.util.List;
import org.cil4j.data.ImageDataset;
import org.cil4j.model.IncrementalNet;

/**
 * One training run of a network inside a phase: what trains, on what, with which loss and
 * recipe. A method describes stages; the {@link Trainer} runs their loops. Most methods have
 * one stage per phase; DR adds an expert stage, LUCIR a class-balanced finetuning stage.
 *
 * @param name a label for logs ("train", "expert", "balanced-finetune")
 * @param net the network whose parameters are updated
 * @param data the training samples (incremental labels)
 * @param groups parameter groups; parameters in none of them are frozen
 * @param loss the loss of a batch
 * @param epochs number of epochs
 * @param milestones epochs after which the rate decays
 * @param gamma decay factor
 * @param batchSize batch size
 * @param augment augmentation
 * @param secondary optional second data source: each batch carries a batch of it (DR's
 *     reserved samples), or null. It is read in passes, each a fresh permutation, that run on
 *     from step to step and across epochs ({@link BatchStream#cycle})
 * @param secondaryBatchSize size of the secondary batch (it may exceed the secondary data's size:
 *     the batch then holds each sample more than once)
 */
public record Stage(
        String name,
        IncrementalNet net,
        ImageDataset data,
        List<ParamGroup> groups,
        BatchLoss loss,
        int epochs,
        List<Integer> milestones,
        double gamma,
        int batchSize,
        Augment augment,
        ImageDataset secondary,
        int secondaryBatchSize) {

    /** The loss of a batch, computed under gradient recording. */
    @FunctionalInterface
    public interface BatchLoss {
        /**
         * @param batch the batch (and its secondary batch, if any)
         * @return the named loss terms
         */
        StepLoss compute(Batch batch);
    }

    /**
     * A stage following the phase recipe, training every parameter of the network.
     *
     * @param name label
     * @param net network
     * @param data samples
     * @param loss batch loss
     * @param cfg the recipe
     * @return the stage
     */
    public static Stage standard(String name, IncrementalNet net, ImageDataset data, BatchLoss loss, TrainConfig cfg) {
        return new Stage(
                name,
                net,
                data,
                List.of(new ParamGroup("all", n -> true, cfg.lr(), cfg.weightDecay())),
                loss,
                cfg.epochs(),
                cfg.milestones(),
                cfg.gamma(),
                cfg.batchSize(),
                cfg.augment(),
                null,
                0);
    }

    /** @return a copy with other parameter groups */
    public Stage withGroups(List<ParamGroup> g) {
        return new Stage(
                name, net, data, g, loss, epochs, milestones, gamma, batchSize, augment, secondary, secondaryBatchSize);
    }

    /** @return a copy with another schedule */
    public Stage withSchedule(int e, List<Integer> m, double g) {
        return new Stage(name, net, data, groups, loss, e, m, g, batchSize, augment, secondary, secondaryBatchSize);
    }

    /** @return a copy that draws a secondary batch of {@code size} samples of the given data with every batch */
    public Stage withSecondary(ImageDataset s, int size) {
        return new Stage(name, net, data, groups, loss, epochs, milestones, gamma, batchSize, augment, s, size);
    }
}
