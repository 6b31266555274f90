/**
 * Checkpoints: the saved state of a run (network, optimizer, method, position, metrics) in a
 * folder with a JSON manifest and tensor files encoded with DJL's {@link ai.djl.ndarray.NDList}
 * format, each verified by a SHA-256 checksum before anything is read. Nothing in a checkpoint
 * is executable: no Java serialization, no scripts, only named arrays and JSON.
 */
package org.cil4j.checkpoint;
