package org.cil4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import java.util.ArrayList;
import java.util.List;

/**
 * Backbones side by side: the feature vector is the concatenation of the members' features, in
 * the order they were added (PyCIL's {@code DERNet.extract_vector}). Every network has one
 * member, named {@code backbone.*}, and then this is exactly that member; DER adds one per phase
 * ({@code backbone1.*}, {@code backbone2.*}, ...).
 *
 * <p>A frozen member runs its batch norm in inference mode whatever the caller asks and passes
 * no gradient back (DER trains only the newest member: PyCIL sets the old ones to {@code eval()}
 * and {@code requires_grad = False}). Which parameters an optimizer updates is the stage's choice
 * ({@link #inFrozenMember} selects them by name).
 */
public final class Backbones implements Backbone {
    private final List<Backbone> members = new ArrayList<>();
    private final List<String> prefixes = new ArrayList<>();
    private int frozenBelow;

    /**
     * @param first the first member, its tensors named {@code backbone.*}
     */
    Backbones(Backbone first) {
        add(first);
    }

    /**
     * @param member a member whose tensors are named {@link #prefix(int)} of its index
     */
    void add(Backbone member) {
        prefixes.add(prefix(members.size()));
        members.add(member);
    }

    /**
     * @param index a member's position
     * @return the name prefix of its tensors: "backbone." for the first, "backbone1." for the
     *     second, ...
     */
    public static String prefix(int index) {
        return name(index) + ".";
    }

    /**
     * @param index a member's position
     * @return its name: "backbone" for the first, "backbone1" for the second, ...
     */
    public static String name(int index) {
        return index == 0 ? "backbone" : "backbone" + index;
    }

    /** @return the number of members */
    public int size() {
        return members.size();
    }

    /**
     * @param index a member's position
     * @return that member
     */
    public Backbone member(int index) {
        return members.get(index);
    }

    /**
     * Freezes the members before {@code count} and unfreezes the others.
     *
     * @param count how many of the first members are frozen, 0 to {@link #size()}
     */
    public void freezeFirst(int count) {
        if (count < 0 || count > members.size()) {
            throw new IllegalArgumentException("cannot freeze " + count + " of " + members.size() + " backbones");
        }
        frozenBelow = count;
    }

    /** @return how many of the first members are frozen */
    public int frozen() {
        return frozenBelow;
    }

    /**
     * @param tensorName a tensor of the network
     * @return true when it belongs to a frozen member
     */
    public boolean inFrozenMember(String tensorName) {
        for (int i = 0; i < frozenBelow; i++) {
            if (tensorName.startsWith(prefixes.get(i))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public NDArray forward(NDArray x, boolean training) {
        if (members.size() == 1 && frozenBelow == 0) {
            return members.get(0).forward(x, training);
        }
        NDList parts = new NDList();
        for (int i = 0; i < members.size(); i++) {
            parts.add(
                    i < frozenBelow
                            ? members.get(i).forward(x, false).stopGradient()
                            : members.get(i).forward(x, training));
        }
        return parts.size() == 1 ? parts.head() : NDArrays.concat(parts, 1);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Only for one unfrozen member: the stages of several members side by side (DER) have no
     * single order to distill in.
     *
     * @throws IllegalStateException for more than one member, or a frozen one
     */
    @Override
    public Stages forwardStages(NDArray x, boolean training) {
        if (members.size() != 1 || frozenBelow != 0) {
            throw new IllegalStateException("stage outputs come from a network of one backbone; this one has "
                    + members.size() + " side by side (" + frozenBelow + " frozen), as DER grows it");
        }
        return members.get(0).forwardStages(x, training);
    }

    @Override
    public int featureDim() {
        return members.stream().mapToInt(Backbone::featureDim).sum();
    }

    /** @return the length of the newest member's features, the last columns of a feature vector */
    public int newestDim() {
        return members.get(members.size() - 1).featureDim();
    }
}
