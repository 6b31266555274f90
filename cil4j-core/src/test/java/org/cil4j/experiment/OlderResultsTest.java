package org.cil4j.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

/** results.json written by an earlier cil4j stays readable when a field is added. */
class OlderResultsTest {
    @Test
    void provenanceWithoutThreadsReadsAsUnknown() throws Exception {
        Provenance now = new Provenance(
                "0.1.0", "abc", "PyTorch 2.7.1", "java", "linux", 2, 1, "host", "2026-12-02T00:00:00Z", null, null);
        ObjectNode tree = ConfigLoader.MAPPER.valueToTree(now);
        assertEquals(1, ConfigLoader.MAPPER.treeToValue(tree, Provenance.class).threads());
        tree.remove("threads"); // as results.json was written before 2026-12-02
        Provenance before = ConfigLoader.MAPPER.treeToValue(tree, Provenance.class);
        assertNull(before.threads());
        assertEquals("abc", before.gitCommit());
    }
}
