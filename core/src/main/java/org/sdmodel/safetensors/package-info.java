/**
 * The safetensors format: {@link org.sdmodel.safetensors.SafetensorsFile} reads and validates a
 * file, {@link org.sdmodel.safetensors.SafetensorsWriter} writes one byte-identical to the
 * reference library's output, {@link org.sdmodel.safetensors.SafetensorsException} names the rule
 * a bad file breaks.
 */
package org.sdmodel.safetensors;
