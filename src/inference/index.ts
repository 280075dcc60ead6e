export { ModelManager, type LoadError, type ServingStatus, type ManagerEvents } from './model-manager.js';
export { LoadedModel, type PredictResult, type PredictOptions, type ImageUploads } from './loaded-model.js';
export { InlineExecutor, WorkerExecutor, type Executor, type SessionOptions } from './executor.js';
export { Batcher, type EncodedRows, type BatchResult, type BatcherOptions } from './batcher.js';
export { decodeRow, outputLayouts, rowValue, type Prediction, type OutputLayout, type ClassProbability } from './decoders.js';
export { OIP_DATATYPES, DTYPE_OF_OIP, TYPED_ARRAYS, allocate, elementCount, isDtype, jsonElement, type Dtype, type TensorData, type TypedArray } from './dtypes.js';
export { encodeTabular, tabularLayout } from './codecs/tabular-codec.js';
export { encodeTensor } from './codecs/tensor-codec.js';
export { encodeImage, decodeBase64Image, imageInstanceShape } from './codecs/image-codec.js';
