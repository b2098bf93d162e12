import { hungResponse, type SimRequest, type SimResponse, xmlEscape } from './http.ts';
import { hex, type SimWorld } from './world.ts';

/**
 * Amazon EC2, simulated for what an AWS Backup EC2 restore leaves behind and what dr-autopilot's restore
 * handlers do with it: instances with attached EBS volumes, the AMI a restore registers and its snapshots.
 * EC2 query protocol (a form-encoded POST with `Action`, an XML answer in the 2016-11-15 namespace, errors as
 * `<Response><Errors><Error><Code>…`: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/Query-Requests.html,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html). Only the operations
 * src/adapters/restored-ec2.ts calls: DescribeInstances, DescribeInstanceStatus, DescribeImages,
 * DescribeSnapshots, DescribeVolumes, CreateTags, TerminateInstances, DeregisterImage, DeleteSnapshot,
 * DeleteVolume. State is per Region (the Region the request was signed for) and moves with the simulated clock.
 *
 * Behaviour modelled, each from EC2's documentation:
 * - Instance lifecycle pending → running; TerminateInstances answers at once with `shutting-down`, and the
 *   instance reaches `terminated` later (`terminationSeconds`); a terminated instance stays visible to
 *   DescribeInstances for about an hour, then the ID is unknown (InvalidInstanceID.NotFound).
 *   https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-lifecycle.html,
 *   https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/terminating-instances.html
 * - Volumes stay `in-use` (attached) while the instance shuts down; at termination those with
 *   DeleteOnTermination=true are deleted, the others detach and become `available`.
 *   https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/preserving-volumes-on-termination.html
 * - DeleteVolume needs an `available` volume: an attached one is refused with `VolumeInUse`.
 *   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteVolume.html
 * - DeleteSnapshot of a snapshot a registered AMI uses is refused with `InvalidSnapshot.InUse` until the AMI
 *   is deregistered. https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSnapshot.html
 * - Status checks read `initializing` for the first minutes of `running`, then `ok`; `not-applicable` otherwise.
 *   https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitoring-system-instance-status-check.html
 * - Describe calls naming an unknown ID fail as a whole with `Invalid<Resource>.NotFound`.
 */

const NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const STATE_CODES = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48 } as const;
type InstanceState = keyof typeof STATE_CODES;
const MUTATING = new Set([
  'CreateTags',
  'TerminateInstances',
  'DeregisterImage',
  'DeleteSnapshot',
  'DeleteVolume',
]);
/** How long a launched instance stays `pending`. */
const PENDING_SECONDS = 30;
/** How long status checks read `initializing` once the instance runs. */
const INITIALIZING_SECONDS = 120;
/** How long a terminated instance stays visible to DescribeInstances. */
const TERMINATED_VISIBLE_SECONDS = 3600;

type Tags = Record<string, string>;

export interface Ec2Device {
  deviceName: string;
  sizeGiB: number;
  deleteOnTermination: boolean;
}

interface Instance {
  region: string;
  id: string;
  imageId: string;
  instanceType: string;
  subnetId?: string | undefined;
  availabilityZone: string;
  launchTime: Date;
  /** Set by TerminateInstances. */
  terminateRequestedAt?: Date | undefined;
  tags: Tags;
  devices: { deviceName: string; volumeId: string; deleteOnTermination: boolean; attachTime: Date }[];
}

interface Volume {
  region: string;
  id: string;
  sizeGiB: number;
  snapshotId?: string | undefined;
  availabilityZone: string;
  createTime: Date;
  encrypted: boolean;
  kmsKeyId?: string | undefined;
  tags: Tags;
  attachment?: { instanceId: string; deviceName: string; deleteOnTermination: boolean; attachTime: Date };
}

interface Snapshot {
  region: string;
  id: string;
  volumeSizeGiB: number;
  startTime: Date;
  encrypted: boolean;
  kmsKeyId?: string | undefined;
  description: string;
  tags: Tags;
}

interface Image {
  region: string;
  id: string;
  name: string;
  creationDate: Date;
  tags: Tags;
  devices: { deviceName: string; snapshotId: string; sizeGiB: number; deleteOnTermination: boolean }[];
}

class Ec2Error extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class Ec2Sim {
  instances: Instance[] = [];
  volumes: Volume[] = [];
  snapshots: Snapshot[] = [];
  images: Image[] = [];
  /** How long TerminateInstances leaves an instance `shutting-down` (its volumes attached) before `terminated`. */
  terminationSeconds = 60;

  constructor(
    private readonly world: SimWorld,
    private readonly account: string,
  ) {}

  reset(): void {
    this.instances = [];
    this.volumes = [];
    this.snapshots = [];
    this.images = [];
    this.terminationSeconds = 60;
  }

  /** An AMI with one snapshot per device, as a backup (or a restore's copy of one) registers it. */
  registerImage(input: {
    region: string;
    name: string;
    createdAt: Date;
    devices: Ec2Device[];
    encrypted?: boolean | undefined;
    kmsKeyId?: string | undefined;
    id?: string | undefined;
    tags?: Tags | undefined;
  }): string {
    const id = input.id ?? `ami-${hex(17)}`;
    if (this.images.some((image) => image.id === id)) return id;
    const devices = input.devices.map((device) => {
      const snapshot: Snapshot = {
        region: input.region,
        id: `snap-${hex(17)}`,
        volumeSizeGiB: device.sizeGiB,
        startTime: input.createdAt,
        encrypted: input.encrypted ?? true,
        kmsKeyId: input.kmsKeyId,
        description: `Created by RegisterImage for ${id} (${device.deviceName})`,
        tags: {},
      };
      this.snapshots.push(snapshot);
      return { ...device, snapshotId: snapshot.id };
    });
    this.images.push({
      region: input.region,
      id,
      name: input.name,
      creationDate: input.createdAt,
      tags: { ...(input.tags ?? {}) },
      devices,
    });
    return id;
  }

  /** RunInstances from an AMI: one volume per device, created from its snapshot and attached. */
  launchInstance(input: {
    region: string;
    imageId: string;
    instanceType?: string | undefined;
    subnetId?: string | undefined;
    /** Per device name: DeleteOnTermination / KmsKeyId overrides (the restore's BlockDeviceMappings). */
    overrides?: Record<string, { deleteOnTermination?: boolean; kmsKeyId?: string }> | undefined;
  }): string {
    const image = this.images.find((candidate) => candidate.id === input.imageId);
    if (!image)
      throw new Ec2Error('InvalidAMIID.NotFound', `The image id '[${input.imageId}]' does not exist`);
    const now = new Date();
    const id = `i-${hex(17)}`;
    const availabilityZone = `${input.region}a`;
    const devices = image.devices.map((device) => {
      const override = input.overrides?.[device.deviceName];
      const deleteOnTermination = override?.deleteOnTermination ?? device.deleteOnTermination;
      const source = this.snapshots.find((snapshot) => snapshot.id === device.snapshotId);
      const volume: Volume = {
        region: input.region,
        id: `vol-${hex(17)}`,
        sizeGiB: device.sizeGiB,
        snapshotId: device.snapshotId,
        availabilityZone,
        createTime: now,
        encrypted: true,
        kmsKeyId: override?.kmsKeyId ?? source?.kmsKeyId,
        tags: {},
        attachment: { instanceId: id, deviceName: device.deviceName, deleteOnTermination, attachTime: now },
      };
      this.volumes.push(volume);
      return { deviceName: device.deviceName, volumeId: volume.id, deleteOnTermination, attachTime: now };
    });
    this.instances.push({
      region: input.region,
      id,
      imageId: image.id,
      instanceType: input.instanceType ?? 't3.micro',
      subnetId: input.subnetId,
      availabilityZone,
      launchTime: now,
      tags: {},
      devices,
    });
    return id;
  }

  /** Moves every instance along its lifecycle to the current (simulated) time. */
  settle(now = new Date()): void {
    for (const instance of [...this.instances]) {
      const state = this.stateOf(instance, now);
      if (state !== 'terminated') continue;
      for (const device of instance.devices) {
        const volume = this.volumes.find((candidate) => candidate.id === device.volumeId);
        if (!volume?.attachment || volume.attachment.instanceId !== instance.id) continue;
        if (volume.attachment.deleteOnTermination) this.volumes.splice(this.volumes.indexOf(volume), 1);
        else volume.attachment = undefined;
      }
      const terminatedAt = this.terminatedAt(instance);
      if (terminatedAt && now.getTime() - terminatedAt.getTime() >= TERMINATED_VISIBLE_SECONDS * 1000) {
        this.instances.splice(this.instances.indexOf(instance), 1);
      }
    }
  }

  private terminatedAt(instance: Instance): Date | undefined {
    if (!instance.terminateRequestedAt) return undefined;
    return new Date(instance.terminateRequestedAt.getTime() + this.terminationSeconds * 1000);
  }

  private stateOf(instance: Instance, now = new Date()): InstanceState {
    if (instance.terminateRequestedAt) {
      return now >= (this.terminatedAt(instance) as Date) ? 'terminated' : 'shutting-down';
    }
    return now.getTime() - instance.launchTime.getTime() < PENDING_SECONDS * 1000 ? 'pending' : 'running';
  }

  /** What a scenario checks: resources of `region` carrying `tagKey` (any value), by kind. */
  tagged(region: string, tagKey: string): { kind: string; id: string; state: string }[] {
    this.settle();
    return [
      ...this.instances
        .filter((item) => item.region === region && tagKey in item.tags)
        .filter((item) => this.stateOf(item) !== 'terminated')
        .map((item) => ({ kind: 'instance', id: item.id, state: this.stateOf(item) })),
      ...this.volumes
        .filter((item) => item.region === region && tagKey in item.tags)
        .map((item) => ({ kind: 'volume', id: item.id, state: item.attachment ? 'in-use' : 'available' })),
      ...this.snapshots
        .filter((item) => item.region === region && tagKey in item.tags)
        .map((item) => ({ kind: 'snapshot', id: item.id, state: 'completed' })),
      ...this.images
        .filter((item) => item.region === region && tagKey in item.tags)
        .map((item) => ({ kind: 'image', id: item.id, state: 'available' })),
    ];
  }

  handle(request: SimRequest, region: string): SimResponse {
    const form = new URLSearchParams(request.body);
    const action = form.get('Action') ?? '?';
    this.settle();
    const fault = this.world.takeFault('ec2', action, region);
    let response: SimResponse;
    try {
      if (fault && !fault.afterApply)
        throw new Ec2Error(fault.error, fault.message ?? `simulated ${fault.error}`);
      response = ok(action, this.dispatch(action, form, region));
    } catch (error) {
      if (!(error instanceof Ec2Error)) throw error;
      this.record(action, form, region, error.code);
      return fault?.hang
        ? hungResponse(error.code)
        : ec2Error(ec2Status(error.code), error.code, error.message);
    }
    if (fault) {
      // After apply: the change is made, the answer lost (a 5xx, or no answer at all).
      this.record(action, form, region, fault.error, true);
      return fault.hang
        ? hungResponse(fault.error)
        : ec2Error(ec2Status(fault.error), fault.error, fault.message ?? `simulated ${fault.error}`);
    }
    this.record(action, form, region, 'ok');
    return response;
  }

  private record(
    action: string,
    form: URLSearchParams,
    region: string,
    result: string,
    applied = false,
  ): void {
    const input = Object.fromEntries([...form].filter(([key]) => key !== 'Action' && key !== 'Version'));
    const mutating = MUTATING.has(action);
    this.world.recordCall(
      {
        service: 'ec2',
        operation: action,
        result,
        mutating,
        input,
        region,
        ...(applied && mutating ? { applied: true } : {}),
      },
      `${action}(${Object.values(input).slice(0, 3).join(', ')})${result === 'ok' ? '' : ` → ${result}`}`,
    );
  }

  private dispatch(action: string, form: URLSearchParams, region: string): string {
    switch (action) {
      case 'DescribeInstances': {
        const instances = this.pick(this.instances, list(form, 'InstanceId'), region, 'InvalidInstanceID');
        return `<reservationSet>${instances
          .map(
            (instance) =>
              `<item><reservationId>r-${instance.id.slice(2)}</reservationId><ownerId>${this.account}</ownerId><instancesSet>${this.instanceXml(instance)}</instancesSet></item>`,
          )
          .join('')}</reservationSet>`;
      }
      case 'DescribeInstanceStatus': {
        const all = form.get('IncludeAllInstances') === 'true';
        const instances = this.pick(this.instances, list(form, 'InstanceId'), region, 'InvalidInstanceID')
          .filter((instance) => this.stateOf(instance) !== 'terminated')
          .filter((instance) => all || this.stateOf(instance) === 'running');
        return `<instanceStatusSet>${instances.map((instance) => this.statusXml(instance)).join('')}</instanceStatusSet>`;
      }
      case 'DescribeImages': {
        const images = this.pick(this.images, list(form, 'ImageId'), region, 'InvalidAMIID');
        return `<imagesSet>${images.map((image) => this.imageXml(image)).join('')}</imagesSet>`;
      }
      case 'DescribeSnapshots': {
        const snapshots = this.pick(this.snapshots, list(form, 'SnapshotId'), region, 'InvalidSnapshot');
        return `<snapshotSet>${snapshots.map((snapshot) => snapshotXml(snapshot, this.account)).join('')}</snapshotSet>`;
      }
      case 'DescribeVolumes': {
        const volumes = this.pick(this.volumes, list(form, 'VolumeId'), region, 'InvalidVolume');
        return `<volumeSet>${volumes.map((volume) => volumeXml(volume)).join('')}</volumeSet>`;
      }
      case 'CreateTags':
        return this.createTags(form, region);
      case 'TerminateInstances':
        return this.terminate(list(form, 'InstanceId'), region);
      case 'DeregisterImage': {
        const [image] = this.pick(this.images, [form.get('ImageId') ?? ''], region, 'InvalidAMIID');
        this.images.splice(this.images.indexOf(image as Image), 1);
        return '<return>true</return>';
      }
      case 'DeleteSnapshot': {
        const id = form.get('SnapshotId') ?? '';
        this.pick(this.snapshots, [id], region, 'InvalidSnapshot');
        const user = this.images.find(
          (image) => image.region === region && image.devices.some((device) => device.snapshotId === id),
        );
        if (user) {
          throw new Ec2Error('InvalidSnapshot.InUse', `The snapshot ${id} is currently in use by ${user.id}`);
        }
        this.snapshots = this.snapshots.filter((snapshot) => snapshot.id !== id);
        return '<return>true</return>';
      }
      case 'DeleteVolume': {
        const id = form.get('VolumeId') ?? '';
        const [volume] = this.pick(this.volumes, [id], region, 'InvalidVolume');
        if (volume?.attachment) {
          throw new Ec2Error(
            'VolumeInUse',
            `Volume ${id} is currently attached to ${volume.attachment.instanceId}`,
          );
        }
        this.volumes = this.volumes.filter((candidate) => candidate.id !== id);
        return '<return>true</return>';
      }
      default:
        throw new Ec2Error('InvalidAction', `The action ${action} is not valid for this web service.`);
    }
  }

  /** The resources of `region` with these IDs (all of them when none is named); one unknown ID fails the call. */
  private pick<T extends { id: string; region: string }>(
    items: T[],
    ids: string[],
    region: string,
    errorPrefix: string,
  ): T[] {
    const mine = items.filter((item) => item.region === region);
    if (ids.length === 0) return mine;
    const missing = ids.filter((id) => !mine.some((item) => item.id === id));
    if (missing.length > 0) {
      const noun = {
        InvalidInstanceID: 'instance ID',
        InvalidAMIID: 'image id',
        InvalidSnapshot: 'snapshot',
        InvalidVolume: 'volume',
      }[errorPrefix];
      throw new Ec2Error(`${errorPrefix}.NotFound`, `The ${noun} '${missing.join(', ')}' does not exist`);
    }
    return ids.map((id) => mine.find((item) => item.id === id) as T);
  }

  private createTags(form: URLSearchParams, region: string): string {
    const ids = list(form, 'ResourceId');
    const tags: Tags = {};
    for (let index = 1; form.has(`Tag.${index}.Key`); index++) {
      tags[form.get(`Tag.${index}.Key`) as string] = form.get(`Tag.${index}.Value`) ?? '';
    }
    const targets = ids.map((id) => {
      const prefix = id.slice(0, id.indexOf('-'));
      const pool: { id: string; region: string; tags: Tags }[] =
        prefix === 'i'
          ? this.instances
          : prefix === 'vol'
            ? this.volumes
            : prefix === 'snap'
              ? this.snapshots
              : prefix === 'ami'
                ? this.images
                : [];
      const found = pool.find((item) => item.id === id && item.region === region);
      if (!found) throw new Ec2Error('InvalidID', `The ID '${id}' is not valid`);
      return found;
    });
    for (const target of targets) Object.assign(target.tags, tags);
    return '<return>true</return>';
  }

  private terminate(ids: string[], region: string): string {
    const instances = this.pick(this.instances, ids, region, 'InvalidInstanceID');
    const now = new Date();
    const items = instances.map((instance) => {
      const previous = this.stateOf(instance, now);
      if (!instance.terminateRequestedAt) instance.terminateRequestedAt = now;
      const current = this.stateOf(instance, now);
      return `<item><instanceId>${instance.id}</instanceId>${stateXml('currentState', current)}${stateXml('previousState', previous)}</item>`;
    });
    return `<instancesSet>${items.join('')}</instancesSet>`;
  }

  private instanceXml(instance: Instance): string {
    const state = this.stateOf(instance);
    // A terminated instance no longer lists its block devices.
    const devices = state === 'terminated' ? [] : instance.devices;
    return `<item><instanceId>${instance.id}</instanceId><imageId>${instance.imageId}</imageId>${stateXml('instanceState', state)}<instanceType>${xmlEscape(instance.instanceType)}</instanceType><launchTime>${instance.launchTime.toISOString()}</launchTime><placement><availabilityZone>${instance.availabilityZone}</availabilityZone><tenancy>default</tenancy></placement>${instance.subnetId && state !== 'terminated' ? `<subnetId>${xmlEscape(instance.subnetId)}</subnetId>` : ''}<rootDeviceType>ebs</rootDeviceType><rootDeviceName>${instance.devices[0]?.deviceName ?? '/dev/xvda'}</rootDeviceName><blockDeviceMapping>${devices
      .map(
        (device) =>
          `<item><deviceName>${device.deviceName}</deviceName><ebs><volumeId>${device.volumeId}</volumeId><status>attached</status><attachTime>${device.attachTime.toISOString()}</attachTime><deleteOnTermination>${device.deleteOnTermination}</deleteOnTermination></ebs></item>`,
      )
      .join('')}</blockDeviceMapping>${tagSet(instance.tags)}</item>`;
  }

  private statusXml(instance: Instance): string {
    const state = this.stateOf(instance);
    const runningFor = Date.now() - instance.launchTime.getTime() - PENDING_SECONDS * 1000;
    const check =
      state !== 'running'
        ? 'not-applicable'
        : runningFor < INITIALIZING_SECONDS * 1000
          ? 'initializing'
          : 'ok';
    const summary = (name: string) =>
      `<${name}><status>${check}</status><details><item><name>reachability</name><status>${check === 'ok' ? 'passed' : check}</status></item></details></${name}>`;
    return `<item><instanceId>${instance.id}</instanceId><availabilityZone>${instance.availabilityZone}</availabilityZone>${stateXml('instanceState', state)}${summary('systemStatus')}${summary('instanceStatus')}</item>`;
  }

  private imageXml(image: Image): string {
    return `<item><imageId>${image.id}</imageId><imageLocation>${this.account}/${xmlEscape(image.name)}</imageLocation><imageState>available</imageState><imageOwnerId>${this.account}</imageOwnerId><creationDate>${image.creationDate.toISOString()}</creationDate><isPublic>false</isPublic><architecture>x86_64</architecture><imageType>machine</imageType><name>${xmlEscape(image.name)}</name><rootDeviceType>ebs</rootDeviceType><rootDeviceName>${image.devices[0]?.deviceName ?? '/dev/xvda'}</rootDeviceName><blockDeviceMapping>${image.devices
      .map(
        (device) =>
          `<item><deviceName>${device.deviceName}</deviceName><ebs><snapshotId>${device.snapshotId}</snapshotId><volumeSize>${device.sizeGiB}</volumeSize><deleteOnTermination>${device.deleteOnTermination}</deleteOnTermination><volumeType>gp3</volumeType><encrypted>true</encrypted></ebs></item>`,
      )
      .join(
        '',
      )}</blockDeviceMapping><virtualizationType>hvm</virtualizationType>${tagSet(image.tags)}</item>`;
  }
}

/** `Name.1`, `Name.2`…: an EC2 query list. */
function list(form: URLSearchParams, name: string): string[] {
  const values: string[] = [];
  for (let index = 1; form.has(`${name}.${index}`); index++)
    values.push(form.get(`${name}.${index}`) as string);
  return values;
}

function stateXml(element: string, state: InstanceState): string {
  return `<${element}><code>${STATE_CODES[state]}</code><name>${state}</name></${element}>`;
}

function tagSet(tags: Tags): string {
  const entries = Object.entries(tags);
  if (entries.length === 0) return '';
  return `<tagSet>${entries
    .map(([key, value]) => `<item><key>${xmlEscape(key)}</key><value>${xmlEscape(value)}</value></item>`)
    .join('')}</tagSet>`;
}

function volumeXml(volume: Volume): string {
  const attachment = volume.attachment
    ? `<item><volumeId>${volume.id}</volumeId><instanceId>${volume.attachment.instanceId}</instanceId><device>${volume.attachment.deviceName}</device><status>attached</status><attachTime>${volume.attachment.attachTime.toISOString()}</attachTime><deleteOnTermination>${volume.attachment.deleteOnTermination}</deleteOnTermination></item>`
    : '';
  return `<item><volumeId>${volume.id}</volumeId><size>${volume.sizeGiB}</size>${volume.snapshotId ? `<snapshotId>${volume.snapshotId}</snapshotId>` : '<snapshotId/>'}<availabilityZone>${volume.availabilityZone}</availabilityZone><status>${volume.attachment ? 'in-use' : 'available'}</status><createTime>${volume.createTime.toISOString()}</createTime><attachmentSet>${attachment}</attachmentSet>${tagSet(volume.tags)}<volumeType>gp3</volumeType><iops>3000</iops><throughput>125</throughput><encrypted>${volume.encrypted}</encrypted>${volume.kmsKeyId ? `<kmsKeyId>${xmlEscape(volume.kmsKeyId)}</kmsKeyId>` : ''}<multiAttachEnabled>false</multiAttachEnabled></item>`;
}

function snapshotXml(snapshot: Snapshot, account: string): string {
  return `<item><snapshotId>${snapshot.id}</snapshotId><volumeId>vol-ffffffff</volumeId><status>completed</status><startTime>${snapshot.startTime.toISOString()}</startTime><progress>100%</progress><ownerId>${account}</ownerId><volumeSize>${snapshot.volumeSizeGiB}</volumeSize><description>${xmlEscape(snapshot.description)}</description><encrypted>${snapshot.encrypted}</encrypted>${snapshot.kmsKeyId ? `<kmsKeyId>${xmlEscape(snapshot.kmsKeyId)}</kmsKeyId>` : ''}<storageTier>standard</storageTier>${tagSet(snapshot.tags)}</item>`;
}

function ok(action: string, body: string): SimResponse {
  return {
    status: 200,
    headers: { 'content-type': 'text/xml;charset=UTF-8' },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${NAMESPACE}"><requestId>${crypto.randomUUID()}</requestId>${body}</${action}Response>`,
  };
}

/** EC2's status for an error code: 503 for `RequestLimitExceeded` and `Unavailable`, 500 for `InternalError`. */
function ec2Status(code: string): number {
  if (code === 'RequestLimitExceeded' || code === 'Unavailable') return 503;
  if (code === 'InternalError') return 500;
  return 400;
}

/** An EC2 error document (EC2's own shape, not the `<ErrorResponse>` of other query services). */
export function ec2Error(status: number, code: string, message: string): SimResponse {
  return {
    status,
    headers: { 'content-type': 'text/xml;charset=UTF-8' },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message></Error></Errors><RequestID>${crypto.randomUUID()}</RequestID></Response>`,
  };
}
