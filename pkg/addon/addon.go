package addon

import (
	"velad.io/velad/pkg/apis/oam"
)

// File names and directories of KubeVela's addon format.
const (
	MetadataFile        = "metadata.yaml"
	TemplateCUEFile     = "template.cue"
	TemplateYAMLFile    = "template.yaml"
	ParameterFile       = "parameter.cue"
	NotesFile           = "NOTES.cue"
	ReadmeFile          = "README.md"
	ResourcesDir        = "resources"
	DefinitionsDir      = "definitions"
	SchemasDir          = "schemas"
	ViewsDir            = "views"
	ConfigTemplatesDir  = "config-templates"
	legacyParameterPath = ResourcesDir + "/" + ParameterFile
)

// Names and labels of what an enabled addon leaves in the cluster.
const (
	// Namespace holds addon Applications, parameter Secrets and definitions.
	Namespace = "vela-system"
	// ParameterDataKey is the key of the parameters (JSON) in the parameter Secret.
	ParameterDataKey = "addonParameterDataKey"
	// LabelName, LabelVersion and LabelRegistry mark the addon Application and its objects.
	LabelName     = oam.LabelAddonName
	LabelVersion  = oam.LabelAddonVersion
	LabelRegistry = oam.LabelAddonRegistry
	// LabelView marks the view ConfigMaps an addon applied (with LabelName).
	LabelView = "addons.velad.io/view"
	// ClustersParameter is the parameter key `--clusters` is stored under.
	ClustersParameter = "clusters"
	// TopologyPolicyName is the topology policy added for `--clusters`.
	TopologyPolicyName = "deploy-addon-to-specified-clusters"
	// AnnotationDependencies on an addon Application lists the addons it depends on
	// (comma-separated), so disabling one of those can name its dependents.
	AnnotationDependencies = "addons.velad.io/dependencies"
	// AnnotationURL on an addon Application is the URL of what the addon serves, written by
	// the controller serving it (velad's dashboard for velaux); vela addon status prints it.
	AnnotationURL = "addons.velad.io/url"
	// FieldManager is the server-side apply field manager of addon objects.
	FieldManager = "vela-addon"
)

// AppName is the name of the Application an addon renders to ("addon-<name>").
func AppName(addon string) string { return "addon-" + addon }

// SecretName is the name of the Secret holding an addon's parameters.
func SecretName(addon string) string { return "addon-secret-" + addon }

// Meta is an addon's metadata.yaml.
type Meta struct {
	// Name identifies the addon; it names the Application "addon-<name>".
	Name string `json:"name"`
	// Version is the addon's own version.
	Version string `json:"version"`
	// Description is one line for listings.
	Description string `json:"description,omitempty"`
	// Icon is a URL of the addon's icon.
	Icon string `json:"icon,omitempty"`
	// URL is the addon's home page.
	URL string `json:"url,omitempty"`
	// Tags classify the addon.
	Tags []string `json:"tags,omitempty"`
	// Dependencies are addons that must be enabled first.
	Dependencies []Dependency `json:"dependencies,omitempty"`
	// System holds the versions of KubeVela and Kubernetes the addon needs.
	System *System `json:"system,omitempty"`
	// DeployTo says where the addon's resources go.
	DeployTo *DeployTo `json:"deployTo,omitempty"`
	// Invisible hides the addon from listings.
	Invisible bool `json:"invisible,omitempty"`
	// NeedNamespace lists namespaces the addon expects to exist.
	NeedNamespace []string `json:"needNamespace,omitempty"`
}

// Dependency is one addon another addon needs.
type Dependency struct {
	// Name of the required addon.
	Name string `json:"name"`
	// Version is an optional semver constraint on the required addon's version.
	Version string `json:"version,omitempty"`
}

// System holds version requirements as semver constraints (">=1.5.0", ">=v1.20, <2").
type System struct {
	// Vela constrains the KubeVela version (velad counts as VelaVersion).
	Vela string `json:"vela,omitempty"`
	// Kubernetes constrains the cluster's Kubernetes version.
	Kubernetes string `json:"kubernetes,omitempty"`
}

// DeployTo says where an addon's Application delivers.
type DeployTo struct {
	// DisableControlPlane keeps the resources off the hub cluster.
	DisableControlPlane bool `json:"disableControlPlane,omitempty"`
	// RuntimeCluster delivers to member clusters as well.
	RuntimeCluster bool `json:"runtimeCluster,omitempty"`
}

// File is one file of an addon, with its path relative to the addon directory.
type File struct {
	// Path is relative to the addon directory ("resources/deploy.cue").
	Path string
	// Data is the file's content.
	Data []byte
}

// Addon is an addon directory loaded into memory.
type Addon struct {
	// Meta is metadata.yaml.
	Meta Meta
	// Registry names the registry the addon came from ("velad", "local", …).
	Registry string
	// Source is where it was loaded from, for messages ("embedded:velad-hello", "/path").
	Source string
	// TemplateCUE is template.cue, nil when absent.
	TemplateCUE *File
	// TemplateYAML is template.yaml, nil when absent.
	TemplateYAML *File
	// Parameter is parameter.cue (or the legacy resources/parameter.cue), nil when absent.
	Parameter *File
	// Notes is NOTES.cue, nil when absent.
	Notes *File
	// Readme is README.md.
	Readme string
	// Resources are the files under resources/ (CUE and YAML), parameter.cue excluded.
	Resources []File
	// Definitions are CUE def files and YAML X-Definitions under definitions/.
	Definitions []File
	// Views are the VelaQL views under views/ (CUE templates or YAML ConfigMaps).
	Views []File
	// Schemas and ConfigTemplates are carried along for UI and config consumers.
	Schemas, ConfigTemplates []File
}

// Name is the addon's name.
func (a *Addon) Name() string { return a.Meta.Name }
