/**
 * nestjs-clamator: the NestJS transport for clamator, JSON-RPC 2.0 over Redis streams.
 * This barrel is the package's only public entry point.
 */
export { ClamatorServer, type ClamatorServerEvents } from './server/clamator-server.js';
export { type ClamatorServerOptions, type ResolvedServerOptions } from './server/clamator-server.options.js';
export { ClamatorContext, type ClamatorContextArgs } from './server/clamator.context.js';
export { ClamatorClient, type ClamatorCallOptions, type ClamatorClientEvents, type ClamatorNotifyOptions } from './client/clamator-client.js';
export { type ClamatorClientOptions, type ResolvedClientOptions } from './client/clamator-client.options.js';
export { ClamatorRecord, ClamatorRecordBuilder } from './client/clamator-record.builder.js';
export { type ClamatorMetadata, MAX_METADATA_BYTES } from './protocol/metadata.js';
export {
  ClamatorStreamsService,
  CLAMATOR_STREAMS_OPTIONS,
  type ClamatorStreamsOptions,
} from './streams/clamator-streams.service.js';
export { type ClamatorStatus, type ClamatorConnectionEvents } from './streams/connections/connection-status.js';
export { type StreamEntry, type AutoClaimResult, type PendingEntryInfo, type GroupInfo } from './streams/stream-replies.js';
export { type StreamOperations } from './streams/inspection/stream-operations.js';
export { type ConsumerInfo } from './streams/stream-replies.js';
export { type ServiceInspection, type GroupInspection, type OldestPending } from './streams/inspection/service-inspection.js';
export { type ReplyStreamInspection } from './streams/inspection/reply-streams.js';
export { type DeadLetter, type DeadLetterPage } from './streams/inspection/dead-letters.js';
export { ReplayInterruptedError, type ReplayReport, type ReplayedDeadLetter } from './streams/inspection/dead-letter-replay.js';
export {
  ClamatorExceptionFilter,
  clamatorValidationExceptionFactory,
  type InvalidParamDetail,
  type ValidationErrorLike,
} from './filters/clamator-exception.filter.js';
export {
  ClamatorRpcError,
  ClamatorTimeoutError,
  ClamatorTransportError,
  ErrorCode,
  type JsonRpcErrorObject,
} from './protocol/errors.js';
export { ClamatorOptionsError } from './options/option-rules.js';
export { type ClamatorClusterOptions, type ClamatorConnectionOptions } from './options/connection.options.js';
export { ClamatorKeys } from './protocol/keys.js';
export { type JsonRpcId, type JsonRpcParams } from './protocol/envelopes.js';
export { CLAMATOR_TRANSPORT } from './protocol/constants.js';
export { ClamatorModule } from './module/clamator.module.js';
export { ClamatorHealthIndicator } from './health/clamator-health.indicator.js';
export {
  type ClamatorHealthCheckOptions,
  type ClamatorHealthConnection,
  type ClamatorHealthConnectionKind,
  DEFAULT_HEALTH_TIMEOUT_MS,
} from './health/clamator-health.options.js';
export {
  type ClamatorGroupHealth,
  type ClamatorHealthDetails,
  type ClamatorHealthIndicatorResult,
  type ClamatorHealthStatus,
} from './health/clamator-health.result.js';
export {
  type ClamatorModuleOptions,
  type ClamatorModuleAsyncOptions,
  type ClamatorModuleGlobalOptions,
  type ClamatorOptionsFactory,
  type ClamatorClientToken,
} from './module/clamator-module.options.js';
export {
  defineContract,
  method,
  notification,
  assertContract,
  isNotificationEntry,
  isZodSchema,
  ClamatorContractError,
  type ClamatorContract,
  type ContractClass,
  type ContractEntry,
  type ContractMethod,
  type ContractNotification,
  type ContractSchema,
  type ContractZodSchema,
  type SchemaInput,
  type SchemaType,
} from './contracts/contract.js';
export { ClamatorService } from './contracts/clamator-service.decorator.js';
export {
  type ContractHandlers,
  type ContractClient,
  type ContractParams,
  type ContractCallParams,
  type ContractResult,
  type HandlerReturn,
} from './contracts/contract-types.js';
export { generatePython, generateJsonSchemas, type GeneratedFile, type GenerateOptions } from './codegen/generate.js';
export { ClamatorCodegenError } from './codegen/model.js';
