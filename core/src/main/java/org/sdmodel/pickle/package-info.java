/**
 * The values a pickle holds, as sdmodel rebuilds them without running anything
 * ({@link org.sdmodel.pickle.PyDict}, {@link org.sdmodel.pickle.PyTuple},
 * {@link org.sdmodel.pickle.PyObject}...), and how its imports are judged
 * ({@link org.sdmodel.pickle.ImportPolicy}, {@link org.sdmodel.pickle.PickleImport}).
 */
package org.sdmodel.pickle;
