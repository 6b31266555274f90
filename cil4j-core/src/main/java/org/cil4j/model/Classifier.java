package org.cil4j.model;

import ai.djl.ndarray.NDArray;
import java.util.List;
import org.cil4j.CilException;

/**
 * How a network turns its features into class scores ({@code model.classifier}). Each head of an
 * {@link IncrementalNet} holds a weight matrix of {@link #rowsPerClass()} rows per class (and a
 * bias per class where {@link #hasBias()}); the classifier says how the heads' tensors and the
 * features make the logits, and owns whatever tensors all heads share (a learnable scale).
 * Adding a classifier is one more implementation and one more line in {@link #create}.
 */
public interface Classifier {
    /** The names {@code model.classifier} takes. */
    List<String> NAMES = List.of("linear", "cosine", "lsc");

    /**
     * Builds the classifier of a new network, registering its shared tensors.
     *
     * @param name one of {@link #NAMES}
     * @param params the network's tensors
     * @return the classifier
     */
    static Classifier create(String name, Params params) {
        return switch (name) {
            case "linear" -> new LinearClassifier();
            case "cosine" -> new CosineClassifier(params);
            case "lsc" -> new LocalSimilarityClassifier(params, LocalSimilarityClassifier.PROXIES);
            default -> throw new CilException("model.classifier must be one of " + NAMES + ", not '" + name + "'");
        };
    }

    /** @return the name, as {@code model.classifier} takes it */
    String name();

    /** @return the weight rows a head holds for each of its classes */
    default int rowsPerClass() {
        return 1;
    }

    /** @return whether a head has a bias per class */
    boolean hasBias();

    /**
     * @param features the backbone's output, (batch, dim)
     * @param weights the heads' weights in order, each (classes * rowsPerClass, dim)
     * @param biases the heads' biases in order, empty without them
     * @return the logits of every class, in class order, (batch, classes)
     */
    NDArray logits(NDArray features, List<NDArray> weights, List<NDArray> biases);

    /**
     * The class scores before the learnable scale: the cosines of LUCIR's margin ranking loss,
     * PODNet's local similarities. Only for the classifiers that have a scale.
     *
     * @param features the backbone's output, (batch, dim)
     * @param weights the heads' weights in order
     * @return (batch, classes)
     */
    default NDArray similarities(NDArray features, List<NDArray> weights) {
        throw new IllegalStateException(
                "similarities before a scale need model.classifier = cosine or lsc, not " + name());
    }

    /** @return the learnable scale the similarities are multiplied by, or null */
    default NDArray scale() {
        return null;
    }
}
