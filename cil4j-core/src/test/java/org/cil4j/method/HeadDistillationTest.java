package org.cil4j.method;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import org.cil4j.loss.Distillation;
import org.junit.jupiter.api.Test;

class HeadDistillationTest {
    private static final double TOL = 1e-5;

    /** The PROTOCOLS.md distillation vectors as one head of three classes. */
    private static final float[][] TEACHER = {{2f, 0.5f, -1f}, {0.1f, 0.2f, 0.3f}};

    private static final float[][] STUDENT = {{1.5f, 1f, -0.5f}, {0f, 0.5f, -0.2f}};

    @Test
    void oneOldHeadIsPlainDistillationOfTheReferenceVectors() {
        try (NDManager m = NDManager.newBaseManager()) {
            // The student also has a new head of two classes after the old one; the teacher has
            // only the old head: the new head must not take part.
            NDArray student = m.create(STUDENT).concat(m.create(new float[][] {{9f, -9f}, {3f, 4f}}), 1);
            NDArray teacher = m.create(TEACHER);
            NDArray kd = HeadDistillation.oldHeads(student, teacher, List.of(3, 2), 1, true, 2);
            assertEquals(0.088959, kd.getFloat(), TOL);
            assertEquals(
                    0.088959,
                    HeadDistillation.oldHeads(student, teacher, List.of(3, 2), 1, false, 2)
                            .getFloat(),
                    TOL);
        }
    }

    @Test
    void perHeadDistillationSumsOneSoftmaxPerTask() {
        try (NDManager m = NDManager.newBaseManager()) {
            // Heads of 3 and 3 classes: the reference pair twice, the second shifted by a
            // constant (a softmax is invariant to it), so each head gives 0.088959.
            NDArray s = m.create(STUDENT);
            NDArray t = m.create(TEACHER);
            NDArray student = s.concat(s.add(5f), 1);
            NDArray teacher = t.concat(t.sub(3f), 1);
            List<Integer> heads = List.of(3, 3, 4);
            assertEquals(
                    2 * 0.088959,
                    HeadDistillation.oldHeads(student, teacher, heads, 2, true, 2)
                            .getFloat(),
                    TOL);
            // In the multi-class setting the six old classes form one distribution: another number.
            float joint = HeadDistillation.oldHeads(student, teacher, heads, 2, false, 2)
                    .getFloat();
            assertEquals(Distillation.kd(student, teacher, 2).getFloat(), joint, TOL);
            assertNotEquals(2 * 0.088959, joint, 1e-3);
        }
    }

    @Test
    void headSelectsItsColumns() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray junk = m.create(new float[][] {{7f}, {-7f}});
            NDArray student = junk.concat(m.create(STUDENT), 1);
            NDArray teacher = junk.neg().concat(m.create(TEACHER), 1);
            assertEquals(
                    0.088959, HeadDistillation.head(student, teacher, 1, 3, 2).getFloat(), TOL);
        }
    }

    @Test
    void rejectsABadNumberOfOldHeads() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(STUDENT);
            assertThrows(IllegalArgumentException.class, () -> HeadDistillation.oldHeads(a, a, List.of(3), 0, true, 2));
            assertThrows(IllegalArgumentException.class, () -> HeadDistillation.oldHeads(a, a, List.of(3), 2, true, 2));
        }
    }
}
